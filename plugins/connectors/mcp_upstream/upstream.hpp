#pragma once
// One upstream MCP server as the gateway sees it: the connection (made at
// start-up, re-made with backoff when it drops, guarded by a circuit
// breaker), the MCP handshake, the cached and renamed lists, and the
// exchange of one request on behalf of a client call with everything that
// passes through it (progress, logging, cancellation, sampling, elicitation,
// roots).

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <portcullis/sdk/call.hpp>
#include <portcullis/sdk/pins.hpp>

#include "backoff.hpp"
#include "correlator.hpp"
#include "linked_account.hpp"
#include "name_map.hpp"
#include "settings.hpp"
#include "transport.hpp"

namespace portcullis::mcp_upstream {

class Upstream {
 public:
  Upstream(std::string name, Settings settings, sdk::Host host);
  ~Upstream();
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  // Connects once (bounded by the timeouts), then supervises the connection.
  void start();

  Json list(uint32_t which);
  // {"status": "up"} or {"status": "down", "detail": why}.
  Json health() const;
  Json invoke(const std::string& method, const Json& params, sdk::Call& call);

 private:
  struct Lists {
    Json tools = Json::array(), resources = Json::array(), templates = Json::array(),
         prompts = Json::array();
  };

  struct Agreement {
    Json capabilities;
    std::string version;
    bool modern = false;  // 2026-07-28: stateless, per-request _meta
  };

  std::unique_ptr<Transport> makeTransport(bool legacy) const;
  void connect();
  Agreement handshake(Transport& transport, bool legacy);
  Json awaitReply(Transport& transport, const std::string& method, const Json& params, Millis wait);
  Json modernMeta(sdk::Call* call) const;
  Json schemaOf(const std::string& upstreamTool) const;
  // The 2026-07-28 subscriptions/listen stream (list changes, resource updates).
  void openListen();
  void closeListen();
  bool endListen(const Json& id, uint64_t generation);
  bool isListenTraffic(const Json& message, uint64_t generation);
  std::optional<Json> subscribe(bool add, const std::string& uri);
  Lists fetchLists(uint32_t which, const Lists& previous);
  Json fetchAll(const std::string& method, const std::string& key);
  uint32_t publish(const Lists& lists);
  // The mapped tools whose upstream definitions the pins admit.
  Json admitPinned(const Json& mappedTools, const Json& upstreamTools);
  void supervise();
  void markDown(const std::string& reason, uint64_t generation);
  void onInbound(const Json& message, const std::optional<Json>& related, uint64_t generation);
  void sendQuietly(const Json& message);

  // Sends one request and waits for its result; `call` is the client's
  // request it serves (nullptr for the connector's own requests).
  // refreshAccount: the caller's linked-account token was refused; ask for a new one.
  Json exchange(const std::string& method, Json params, sdk::Call* call, bool refreshAccount = false);
  void handleCallMessage(const Json& message, sdk::Call* call);
  std::string accountTitle() const;
  std::string linkMessage(const LinkRequired& link) const;
  std::string refusedMessage() const;
  // Throws LinkRequired when the caller has not linked their account.
  Headers callHeaders(sdk::Call& call, bool refreshAccount) const;
  Json forward(const std::string& method, Json params, sdk::Call& call);
  Json forwardOnce(const std::string& method, const Json& params, sdk::Call& call, bool refreshAccount);

  const std::string name_;
  const Settings settings_;
  sdk::Host host_;
  Correlator correlator_;
  std::atomic<int64_t> nextId_{1};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<Transport> transport_;
  uint64_t generation_ = 0;
  bool connected_ = false;
  bool stopping_ = false;
  std::string downReason_ = "not connected yet";
  uint32_t refresh_ = 0;  // lists the upstream said changed
  Json capabilities_ = Json::object();
  std::string protocolVersion_;
  bool modern_ = false;
  Json listenId_;  // null when no subscriptions/listen stream is open
  bool relisten_ = false;
  std::set<std::string> subscriptions_;
  NameMap names_;
  sdk::DefinitionPins pins_;
  Lists raw_;
  Lists mapped_;
  Backoff backoff_;
  CircuitBreaker breaker_;
  std::thread supervisor_;
};

}  // namespace portcullis::mcp_upstream
