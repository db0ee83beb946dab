#include "core/mcp/change_feed.hpp"

#include <map>
#include <vector>

#include "core/jsonrpc/message.hpp"
#include "core/mcp/versions.hpp"

namespace portcullis::mcp {

ChangeFeed::ChangeFeed(Catalog& catalog, SessionStore& sessions)
    : catalog_(catalog), sessions_(sessions) {}

ChangeFeed::~ChangeFeed() {
  {
    std::lock_guard lock(changesMutex_);
    stopping_ = true;
  }
  changesWake_.notify_all();
  if (announcer_.joinable()) announcer_.join();
}

void ChangeFeed::setVisibilityFilter(VisibilityFilter filter) { visibilityFilter_ = std::move(filter); }

void ChangeFeed::listChanged(const PrimitiveProvider& provider, uint32_t lists) {
  if (!visibilityFilter_) {
    catalog_.invalidate(provider, lists);
    broadcastListChanged(lists);
    return;
  }
  // What clients saw before, taken before the catalog lists the provider again.
  ProviderChange change{catalog_.lastView(), &provider, lists};
  catalog_.invalidate(provider, lists);
  {
    std::lock_guard lock(changesMutex_);
    if (stopping_) return;
    changes_.push_back(std::move(change));
    if (!announcer_.joinable()) announcer_ = std::thread([this] { runAnnouncer(); });
  }
  changesWake_.notify_one();
}

void ChangeFeed::runAnnouncer() {
  std::unique_lock lock(changesMutex_);
  while (true) {
    changesWake_.wait(lock, [&] { return stopping_ || !changes_.empty(); });
    if (stopping_) return;
    ProviderChange change = std::move(changes_.front());
    changes_.pop_front();
    announcing_ = true;
    lock.unlock();
    try {
      announce(change);
    } catch (const std::exception&) {
      // A provider that cannot be listed was logged by the catalog; its
      // clients hear nothing rather than the announcer stopping.
    }
    lock.lock();
    announcing_ = false;
    changesDone_.notify_all();
  }
}

bool ChangeFeed::settle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(changesMutex_);
  return changesDone_.wait_for(lock, timeout, [&] { return changes_.empty() && !announcing_; });
}

void ChangeFeed::announce(const ProviderChange& change) {
  const auto after = catalog_.view();
  // The provider's entries that appeared, went or changed, per list.
  std::vector<std::pair<ListKind, const CatalogEntry*>> changed;
  for (ListKind kind : kListKinds) {
    if ((change.lists & static_cast<uint32_t>(kind)) == 0) continue;
    std::map<std::string, const CatalogEntry*> old;
    if (change.before) {
      for (const auto& e : change.before->entries(kind)) {
        if (e.provider.get() == change.provider) old[e.key] = &e;
      }
    }
    for (const auto& e : after->entries(kind)) {
      if (e.provider.get() != change.provider) continue;
      auto it = old.find(e.key);
      if (it == old.end() || it->second->definitionJson != e.definitionJson) {
        changed.emplace_back(kind, &e);
        if (it != old.end()) changed.emplace_back(kind, it->second);
      }
      if (it != old.end()) old.erase(it);
    }
    for (const auto& [key, e] : old) changed.emplace_back(kind, e);  // gone
  }
  if (changed.empty()) {
    // Announced, yet listed the same: the provider knows better (it may
    // have changed what a call does); whoever sees any of its entries hears.
    for (ListKind kind : kListKinds) {
      if ((change.lists & static_cast<uint32_t>(kind)) == 0) continue;
      for (const auto& e : after->entries(kind)) {
        if (e.provider.get() == change.provider) changed.emplace_back(kind, &e);
      }
    }
  }
  if (changed.empty()) return;
  sendListChanged(change.lists, [&](uint32_t bits, const Principal& principal) {
    for (const auto& [kind, entry] : changed) {
      if ((bits & static_cast<uint32_t>(kind)) != 0 && visibilityFilter_(principal, kind, *entry)) return true;
    }
    return false;
  });
}

void ChangeFeed::broadcastListChanged(uint32_t lists) {
  sendListChanged(lists, [](uint32_t, const Principal&) { return true; });
}

void ChangeFeed::principalChanged(const std::string& subject, uint32_t lists) {
  if (subject.empty()) return;
  sendListChanged(lists, [&](uint32_t, const Principal& principal) { return principal.subject == subject; });
}

void ChangeFeed::sendListChanged(uint32_t lists, const Audience& audience) {
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
      if (!session->initialized() || !audience(notice.bits, session->principal())) return;
      if (auto stream = session->notificationStream()) stream->send(message);
    });
    toListeners([&](const Listener& l) { return l.filter.*(notice.flag) && audience(notice.bits, l.principal); },
                notice.method, json::makeObject());
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
