#include "core/mcp/change_feed.hpp"

#include <vector>

#include "core/jsonrpc/message.hpp"
#include "core/mcp/versions.hpp"

namespace portcullis::mcp {

ChangeFeed::ChangeFeed(Catalog& catalog, SessionStore& sessions)
    : catalog_(catalog), sessions_(sessions) {}

void ChangeFeed::listChanged(const PrimitiveProvider& provider, uint32_t lists) {
  catalog_.invalidate(provider, lists);
  broadcastListChanged(lists);
}

void ChangeFeed::broadcastListChanged(uint32_t lists) { sendListChanged(lists, nullptr); }

void ChangeFeed::principalChanged(const std::string& subject, uint32_t lists) {
  if (subject.empty()) return;
  sendListChanged(lists, &subject);
}

void ChangeFeed::sendListChanged(uint32_t lists, const std::string* subject) {
  struct Notice {
    uint32_t bits;
    const char* method;
    bool ListenFilter::*flag;
  };
  static const Notice kNotices[] = {
      {static_cast<uint32_t>(ListKind::Tools), "notifications/tools/list_changed",
       &ListenFilter::toolsListChanged},
      {static_cast<uint32_t>(ListKind::Resources) |
           static_cast<uint32_t>(ListKind::ResourceTemplates),
       "notifications/resources/list_changed", &ListenFilter::resourcesListChanged},
      {static_cast<uint32_t>(ListKind::Prompts), "notifications/prompts/list_changed",
       &ListenFilter::promptsListChanged},
  };
  for (const auto& notice : kNotices) {
    if ((lists & notice.bits) == 0) continue;
    const std::string message = jsonrpc::notification(notice.method, nullptr);
    sessions_.forEach([&](const std::shared_ptr<Session>& session) {
      if (!session->initialized()) return;
      if (subject != nullptr && session->principal().subject != *subject) return;
      if (auto stream = session->notificationStream()) stream->send(message);
    });
    toListeners([&](const Listener& l) {
      return l.filter.*(notice.flag) && (subject == nullptr || l.principal.subject == *subject);
    }, notice.method, json::makeObject());
  }
}

void ChangeFeed::resourceUpdated(const std::string& uri) {
  json::ObjectPtr params = json::makeObject();
  params->set("uri", uri);
  const std::string message = jsonrpc::notification("notifications/resources/updated", params);
  auto mayHear = [&](const Principal& principal) { return !updateFilter_ || updateFilter_(principal, uri); };
  sessions_.forEach([&](const std::shared_ptr<Session>& session) {
    if (!session->subscribed(uri) || !mayHear(session->principal())) return;
    if (auto stream = session->notificationStream()) stream->send(message);
  });
  toListeners([&](const Listener& l) { return l.filter.resourceSubscriptions.count(uri) != 0 && mayHear(l.principal); },
              "notifications/resources/updated", params);
}

void ChangeFeed::setUpdateFilter(UpdateFilter filter) { updateFilter_ = std::move(filter); }

void ChangeFeed::toListeners(const std::function<bool(const Listener&)>& wants,
                             const std::string& method, const json::ObjectPtr& params) {
  std::vector<std::pair<json::Value, std::shared_ptr<Outbound>>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, listener] : listeners_) {
      if (wants(listener)) targets.emplace_back(listener.subscriptionId, listener.stream);
    }
  }
  for (auto& [subscriptionId, stream] : targets) {
    json::ObjectPtr tagged = json::clone(params);
    json::ObjectPtr metaObject = json::makeObject();
    metaObject->set(meta::kSubscriptionId, subscriptionId);
    tagged->set("_meta", metaObject);
    stream->send(jsonrpc::notification(method, tagged));
  }
}

uint64_t ChangeFeed::addListener(json::Value subscriptionId, ListenFilter filter,
                                 std::shared_ptr<Outbound> stream, Principal principal) {
  const uint64_t id = nextListener_++;
  std::lock_guard lock(mutex_);
  listeners_[id] = Listener{std::move(subscriptionId), std::move(filter), std::move(stream), std::move(principal)};
  return id;
}

void ChangeFeed::removeListener(uint64_t id) {
  std::lock_guard lock(mutex_);
  listeners_.erase(id);
}

size_t ChangeFeed::listenerCount() const {
  std::lock_guard lock(mutex_);
  return listeners_.size();
}

}  // namespace portcullis::mcp
