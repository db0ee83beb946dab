#include "core/mcp/session.hpp"

#include <vector>

#include "core/common/random.hpp"

namespace portcullis::mcp {

std::optional<jsonrpc::Message> PendingRequest::wait(std::chrono::milliseconds timeout,
                                                     Cancellation* cancel) {
  if (cancel != nullptr) {
    std::weak_ptr<PendingRequest> self = weak_from_this();
    cancel->onCancel([self] {
      if (auto p = self.lock()) p->abandon();
    });
  }
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return reply_.has_value() || abandoned_; });
  return reply_;
}

void PendingRequest::resolve(jsonrpc::Message reply) {
  {
    std::lock_guard lock(mutex_);
    reply_ = std::move(reply);
  }
  cv_.notify_all();
}

void PendingRequest::abandon() {
  {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
  }
  cv_.notify_all();
}

Session::Session(std::string id, Principal principal)
    : id_(std::move(id)), principal_(std::move(principal)) {
  touch();
}

void Session::negotiate(std::string version, json::ObjectPtr clientCapabilities,
                        json::ObjectPtr clientInfo) {
  std::lock_guard lock(mutex_);
  version_ = std::move(version);
  clientCapabilities_ = clientCapabilities ? clientCapabilities : json::makeObject();
  clientInfo_ = clientInfo ? clientInfo : json::makeObject();
}

std::string Session::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

json::ObjectPtr Session::clientCapabilities() const {
  std::lock_guard lock(mutex_);
  return clientCapabilities_ ? clientCapabilities_ : json::makeObject();
}

json::ObjectPtr Session::clientInfo() const {
  std::lock_guard lock(mutex_);
  return clientInfo_ ? clientInfo_ : json::makeObject();
}

bool Session::negotiated() const {
  std::lock_guard lock(mutex_);
  return !version_.empty();
}

std::optional<LogLevel> Session::logLevel() const {
  std::lock_guard lock(mutex_);
  return logLevel_;
}

void Session::setLogLevel(LogLevel level) {
  std::lock_guard lock(mutex_);
  logLevel_ = level;
}

void Session::subscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  subscriptions_.insert(uri);
}

void Session::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(uri);
}

bool Session::subscribed(const std::string& uri) const {
  std::lock_guard lock(mutex_);
  return subscriptions_.count(uri) != 0;
}

std::shared_ptr<PendingRequest> Session::expectReply(int64_t id) {
  auto pending = std::make_shared<PendingRequest>();
  std::lock_guard lock(mutex_);
  pending_[id] = pending;
  return pending;
}

bool Session::resolveReply(const jsonrpc::Message& response) {
  if (!json::isInteger(response.id)) return false;
  int64_t id = 0;
  try {
    id = response.id.convert<int64_t>();
  } catch (const Poco::Exception&) {
    return false;  // not an id this server issued
  }
  std::shared_ptr<PendingRequest> pending;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return false;
    pending = it->second;
    pending_.erase(it);
  }
  pending->resolve(response);
  return true;
}

void Session::forgetReply(int64_t id) {
  std::lock_guard lock(mutex_);
  pending_.erase(id);
}

std::shared_ptr<Cancellation> Session::track(const std::string& idKey) {
  auto flag = std::make_shared<Cancellation>();
  std::lock_guard lock(mutex_);
  inFlight_[idKey] = flag;
  return flag;
}

void Session::untrack(const std::string& idKey) {
  std::lock_guard lock(mutex_);
  inFlight_.erase(idKey);
}

bool Session::cancel(const std::string& idKey) {
  std::shared_ptr<Cancellation> flag;
  {
    std::lock_guard lock(mutex_);
    auto it = inFlight_.find(idKey);
    if (it == inFlight_.end()) return false;
    flag = it->second;
  }
  flag->cancel();
  return true;
}

void Session::setNotificationStream(std::shared_ptr<Outbound> stream) {
  std::lock_guard lock(mutex_);
  notificationStream_ = std::move(stream);
}

std::shared_ptr<Outbound> Session::notificationStream() const {
  std::lock_guard lock(mutex_);
  return notificationStream_;
}

void Session::setAttachment(std::shared_ptr<SessionAttachment> attachment) {
  std::lock_guard lock(mutex_);
  attachment_ = std::move(attachment);
}

std::shared_ptr<SessionAttachment> Session::attachment() const {
  std::lock_guard lock(mutex_);
  return attachment_;
}

void Session::close() {
  if (closed_.exchange(true)) return;
  std::vector<std::shared_ptr<Cancellation>> inFlight;
  std::vector<std::shared_ptr<PendingRequest>> pending;
  std::shared_ptr<SessionAttachment> attachment;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, flag] : inFlight_) inFlight.push_back(flag);
    for (auto& [id, p] : pending_) pending.push_back(p);
    pending_.clear();
    attachment = attachment_;
    attachment_.reset();
    notificationStream_.reset();
  }
  for (auto& flag : inFlight) flag->cancel();
  for (auto& p : pending) p->abandon();
  if (attachment) attachment->onSessionClosed();
}

SessionStore::SessionStore(size_t maxSessions) : max_(maxSessions) {}

std::shared_ptr<Session> SessionStore::create(const Principal& principal) {
  auto session = std::make_shared<Session>(common::randomHex(16), principal);
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= max_) return nullptr;
  sessions_[session->id()] = session;
  return session;
}

std::shared_ptr<Session> SessionStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

bool SessionStore::remove(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    session = it->second;
    sessions_.erase(it);
  }
  session->close();
  return true;
}

size_t SessionStore::sweep(std::chrono::milliseconds idleTimeout) {
  const auto cutoff = Session::Clock::now() - idleTimeout;
  std::vector<std::shared_ptr<Session>> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto stream = it->second->notificationStream();
      const bool streaming = stream && stream->connected();
      if (!streaming && it->second->lastActivity() < cutoff) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : expired) s->close();
  return expired.size();
}

void SessionStore::forEach(const std::function<void(const std::shared_ptr<Session>&)>& fn) const {
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mutex_);
    all.reserve(sessions_.size());
    for (auto& [id, s] : sessions_) all.push_back(s);
  }
  for (auto& s : all) fn(s);
}

size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionStore::closeAll() {
  std::unordered_map<std::string, std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(sessions_);
  }
  for (auto& [id, s] : all) s->close();
}

}  // namespace portcullis::mcp
