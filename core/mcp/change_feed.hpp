#pragma once
// Fans out changes to the clients that asked for them: list_changed and
// resources/updated go to legacy sessions on their notification stream and
// to 2026-07-28 subscriptions/listen streams whose filter names them.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/mcp/catalog.hpp"
#include "core/mcp/outbound.hpp"
#include "core/mcp/principal.hpp"
#include "core/mcp/provider.hpp"
#include "core/mcp/session.hpp"

namespace portcullis::mcp {

// What a subscriptions/listen stream asked for.
struct ListenFilter {
  bool toolsListChanged = false;
  bool promptsListChanged = false;
  bool resourcesListChanged = false;
  std::set<std::string> resourceSubscriptions;
};

class ChangeFeed : public ChangeSink {
 public:
  ChangeFeed(Catalog& catalog, SessionStore& sessions);
  ~ChangeFeed() override;
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  void listChanged(const PrimitiveProvider& provider, uint32_t lists) override;
  void resourceUpdated(const std::string& uri) override;

  // Sends list_changed for the given ListKind bit mask to everyone listening.
  void broadcastListChanged(uint32_t lists);
  // What one principal may see changed (a new role, group or grant): only
  // their sessions and streams are told.
  void principalChanged(const std::string& subject, uint32_t lists);

  // Who may hear that a resource was updated: resources/updated goes only to
  // sessions and streams whose principal passes (by default everyone), so a
  // subscription to a URI the caller may not read never delivers anything.
  using UpdateFilter = std::function<bool(const Principal&, const std::string& uri)>;
  void setUpdateFilter(UpdateFilter filter);

  // Who may see a primitive. With it, a provider's list change reaches only
  // the sessions and streams whose principal may see something that was
  // added, removed or changed; without it, everyone. The comparison lists
  // the catalog again, on a thread of the feed's own: never on the plugin's
  // thread, which may hold locks its list() takes. Set before serving.
  using VisibilityFilter = std::function<bool(const Principal&, ListKind, const CatalogEntry&)>;
  void setVisibilityFilter(VisibilityFilter filter);
  // Waits until every provider change reported so far has been announced
  // (for tests). False when `timeout` passed first.
  bool settle(std::chrono::milliseconds timeout);

  // principal: whose stream it is, for principalChanged and the update filter.
  uint64_t addListener(json::Value subscriptionId, ListenFilter filter,
                       std::shared_ptr<Outbound> stream, Principal principal = {});
  void removeListener(uint64_t id);
  size_t listenerCount() const;

 private:
  struct Listener {
    json::Value subscriptionId;
    ListenFilter filter;
    std::shared_ptr<Outbound> stream;
    Principal principal;
  };
  // Who hears about a list (its ListKind bits) changing.
  using Audience = std::function<bool(uint32_t bits, const Principal&)>;
  void sendListChanged(uint32_t lists, const Audience& audience);
  struct ProviderChange {
    std::shared_ptr<const CatalogView> before;
    const PrimitiveProvider* provider;
    uint32_t lists;
  };
  void announce(const ProviderChange& change);
  void runAnnouncer();
  void toListeners(const std::function<bool(const Listener&)>& wants, const std::string& method,
                   const json::ObjectPtr& params);

  Catalog& catalog_;
  SessionStore& sessions_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, Listener> listeners_;
  UpdateFilter updateFilter_;  // set before serving
  VisibilityFilter visibilityFilter_;  // set before serving
  std::atomic<uint64_t> nextListener_{1};

  // Provider changes waiting to be announced, and the thread announcing them.
  std::mutex changesMutex_;
  std::condition_variable changesWake_;
  std::condition_variable changesDone_;
  std::deque<ProviderChange> changes_;
  bool announcing_ = false;
  bool stopping_ = false;
  std::thread announcer_;
};

}  // namespace portcullis::mcp
