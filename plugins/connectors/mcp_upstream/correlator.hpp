#pragma once
// Pairs JSON-RPC traffic from an upstream with the requests this connector
// sent: responses by id; progress by the progress token the connector chose;
// server requests and log messages to the call they belong to (the request
// whose reply stream carried them, else the call started last). Everything
// meant for a call lands in that call's inbox, which the call's own thread
// drains, so client round trips never block the upstream's reader.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <portcullis/sdk/errors.hpp>

namespace portcullis::mcp_upstream {

using Json = sdk::Json;

// One request in flight upstream.
class Pending {
 public:
  explicit Pending(Json id) : id_(std::move(id)) {}

  const Json& id() const { return id_; }

  // What waitNext() found.
  struct Next {
    enum class Kind { Message, Response, Failed, Timeout } kind = Kind::Timeout;
    Json message;  // the inbox message or the response
    std::string reason;
  };
  // Returns an inbox message first, then the response or failure; Timeout
  // when none arrived within `wait`.
  Next waitNext(std::chrono::milliseconds wait);

  void post(Json message);
  void complete(Json response);
  void fail(const std::string& reason);

 private:
  Json id_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Json> inbox_;
  std::optional<Json> response_;
  std::optional<std::string> failure_;
};

class Correlator {
 public:
  // The progress token the connector sends upstream for a request id.
  static std::string progressTokenFor(const Json& id) { return "upstream-" + id.dump(); }

  std::shared_ptr<Pending> open(const Json& id);
  void close(const Json& id);

  enum class Route {
    Delivered,        // handed to a pending call
    UnknownResponse,  // a response whose id matches nothing in flight
    Unrouted,         // a request or notification for the connector itself
    Invalid           // not a JSON-RPC message
  };
  // `related` is the id of the request whose reply stream carried the message.
  Route route(const Json& message, const std::optional<Json>& related = std::nullopt);

  // Puts a message in one call's inbox; false when that call is not in flight.
  bool postTo(const Json& id, Json message);

  // Fails one request (its reply could not be read); false when it is not in flight.
  bool fail(const Json& id, const std::string& reason);

  // Fails every call in flight (the connection is gone).
  void failAll(const std::string& reason);
  size_t inFlight() const;

 private:
  std::shared_ptr<Pending> find(const Json& id) const;
  std::shared_ptr<Pending> latest() const;

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;  // keyed by id.dump()
  std::vector<std::string> order_;                           // keys, oldest first
};

}  // namespace portcullis::mcp_upstream
