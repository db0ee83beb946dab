#pragma once
// Sessions of the legacy generations (initialize + Mcp-Session-Id). A modern
// (2026-07-28) request never has one.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "core/common/json.hpp"
#include "core/jsonrpc/message.hpp"
#include "core/mcp/cancellation.hpp"
#include "core/mcp/outbound.hpp"
#include "core/mcp/principal.hpp"
#include "core/mcp/provider.hpp"

namespace portcullis::mcp {

// Transport state hung on a session (its streams), told when the session ends.
class SessionAttachment {
 public:
  virtual ~SessionAttachment() = default;
  virtual void onSessionClosed() = 0;
};

// A server-to-client request waiting for the client's answer.
class PendingRequest : public std::enable_shared_from_this<PendingRequest> {
 public:
  // Blocks until answered, cancelled or timed out.
  std::optional<jsonrpc::Message> wait(std::chrono::milliseconds timeout, Cancellation* cancel);
  void resolve(jsonrpc::Message reply);
  void abandon();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<jsonrpc::Message> reply_;
  bool abandoned_ = false;
};

class Session {
 public:
  using Clock = std::chrono::steady_clock;

  Session(std::string id, Principal principal);

  const std::string& id() const { return id_; }
  const Principal& principal() const { return principal_; }

  // Set by initialize.
  void negotiate(std::string version, json::ObjectPtr clientCapabilities, json::ObjectPtr clientInfo);
  std::string version() const;
  json::ObjectPtr clientCapabilities() const;
  json::ObjectPtr clientInfo() const;
  bool negotiated() const;

  void markInitialized() { initialized_ = true; }
  bool initialized() const { return initialized_; }

  std::optional<LogLevel> logLevel() const;
  void setLogLevel(LogLevel level);

  void subscribe(const std::string& uri);
  void unsubscribe(const std::string& uri);
  bool subscribed(const std::string& uri) const;

  // Server-to-client requests.
  int64_t nextRequestId() { return nextRequestId_++; }
  std::shared_ptr<PendingRequest> expectReply(int64_t id);
  // Routes a client's response to the request waiting for it.
  bool resolveReply(const jsonrpc::Message& response);
  void forgetReply(int64_t id);

  // Client requests in flight, so notifications/cancelled can reach them.
  std::shared_ptr<Cancellation> track(const std::string& idKey);
  void untrack(const std::string& idKey);
  bool cancel(const std::string& idKey);

  // Where messages unrelated to a request go (the GET stream, or the legacy
  // /sse stream).
  void setNotificationStream(std::shared_ptr<Outbound> stream);
  std::shared_ptr<Outbound> notificationStream() const;

  void setAttachment(std::shared_ptr<SessionAttachment> attachment);
  std::shared_ptr<SessionAttachment> attachment() const;

  void touch() { lastActivity_ = Clock::now().time_since_epoch().count(); }
  Clock::time_point lastActivity() const {
    return Clock::time_point(Clock::duration(lastActivity_.load()));
  }

  // Ends the session: cancels work, abandons pending client requests and
  // tells the transport.
  void close();
  bool closed() const { return closed_; }

 private:
  const std::string id_;
  const Principal principal_;
  mutable std::mutex mutex_;
  std::string version_;
  json::ObjectPtr clientCapabilities_;
  json::ObjectPtr clientInfo_;
  std::atomic<bool> initialized_{false};
  std::atomic<bool> closed_{false};
  std::optional<LogLevel> logLevel_;
  std::set<std::string> subscriptions_;
  std::atomic<int64_t> nextRequestId_{0};
  std::unordered_map<int64_t, std::shared_ptr<PendingRequest>> pending_;
  std::unordered_map<std::string, std::shared_ptr<Cancellation>> inFlight_;
  std::shared_ptr<Outbound> notificationStream_;
  std::shared_ptr<SessionAttachment> attachment_;
  std::atomic<Clock::rep> lastActivity_;
};

class SessionStore {
 public:
  explicit SessionStore(size_t maxSessions);

  // Returns nullptr when the store is full.
  std::shared_ptr<Session> create(const Principal& principal);
  std::shared_ptr<Session> find(const std::string& id) const;
  bool remove(const std::string& id);
  // Closes sessions idle for longer than idleTimeout whose notification stream
  // is not connected. Returns how many.
  size_t sweep(std::chrono::milliseconds idleTimeout);
  void forEach(const std::function<void(const std::shared_ptr<Session>&)>& fn) const;
  size_t size() const;
  void closeAll();

 private:
  const size_t max_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace portcullis::mcp
