#include "upstream.hpp"

#include <algorithm>
#include <map>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <portcullis/sdk/content.hpp>

#include "call_metadata.hpp"
#include "http_transport.hpp"
#include "modern_headers.hpp"
#include "stdio_transport.hpp"

namespace portcullis::mcp_upstream {

using sdk::LogLevel;
using sdk::RpcError;

namespace {

constexpr const char* kLatestSessionVersion = "2025-11-25";
constexpr const char* kSubscriptionIdKey = "io.modelcontextprotocol/subscriptionId";
// Put in a call's inbox when the upstream let go of the reply stream.
constexpr const char* kReleased = "portcullis/upstream-released";
constexpr int kMaxListPages = 1000;

bool knownSessionVersion(const std::string& v) {
  return v == "2025-11-25" || v == "2025-06-18" || v == "2025-03-26" || v == "2024-11-05";
}

Json request(const Json& id, const std::string& method, const Json& params) {
  Json message{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = params;
  return message;
}

// A string field of upstream input, or `fallback` when absent or not a string:
// hostile input must not throw on the reader threads.
std::string textAt(const Json& object, const char* key, const std::string& fallback = {}) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return fallback;
  return object[key].get<std::string>();
}

LogLevel levelNamed(const std::string& name) {
  static const std::pair<const char*, LogLevel> kLevels[] = {
      {"debug", LogLevel::Debug},   {"info", LogLevel::Info},
      {"notice", LogLevel::Notice}, {"warning", LogLevel::Warning},
      {"error", LogLevel::Error},   {"critical", LogLevel::Critical},
      {"alert", LogLevel::Alert},   {"emergency", LogLevel::Emergency}};
  for (const auto& [n, l] : kLevels) {
    if (name == n) return l;
  }
  return LogLevel::Info;
}

// Leaves a pending request tidy however the wait ends: a request that did
// not finish is cancelled upstream.
class PendingGuard {
 public:
  PendingGuard(Correlator& correlator, Json id, std::function<void(const Json&)> cancel)
      : correlator_(correlator), id_(std::move(id)), cancel_(std::move(cancel)) {}
  ~PendingGuard() {
    correlator_.close(id_);
    if (!finished_) cancel_(id_);
  }
  void finished() { finished_ = true; }

 private:
  Correlator& correlator_;
  Json id_;
  std::function<void(const Json&)> cancel_;
  bool finished_ = false;
};

}  // namespace

Upstream::Upstream(std::string name, Settings settings, sdk::Host host)
    : name_(std::move(name)),
      settings_(std::move(settings)),
      host_(host),
      names_(settings_),
      pins_(host, settings_.hideChangedDefinitions),
      backoff_(settings_.restartInitial, settings_.restartMax),
      breaker_(settings_.breakerFailures, settings_.breakerReset) {}

Upstream::~Upstream() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  correlator_.failAll("the gateway is stopping");
  // The supervisor may have made a new connection before it stopped: close
  // whichever is current while every member its threads use is alive.
  std::shared_ptr<Transport> transport;
  {
    std::lock_guard lock(mutex_);
    transport = transport_;
  }
  if (transport) transport->close();
}

void Upstream::start() {
  try {
    connect();
  } catch (const std::exception& e) {
    host_.log(LogLevel::Warning, "upstream unavailable at start-up, retrying in the background: " +
                                     std::string(e.what()));
    std::lock_guard lock(mutex_);
    downReason_ = e.what();
  }
  supervisor_ = std::thread([this] { supervise(); });
}

std::unique_ptr<Transport> Upstream::makeTransport(bool legacy) const {
  if (settings_.stdio()) return std::make_unique<StdioTransport>(settings_);
  if (legacy) return std::make_unique<LegacySseTransport>(settings_);
  return std::make_unique<StreamableHttpTransport>(settings_);
}

void Upstream::connect() {
  uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    generation = ++generation_;
    listenId_ = nullptr;
  }
  Transport::Handlers handlers;
  handlers.inbound = [this, generation](const Json& m, const std::optional<Json>& related) {
    try {
      onInbound(m, related, generation);
    } catch (const std::exception& e) {
      // Runs on a reader thread: nothing may escape it.
      host_.log(LogLevel::Warning, std::string("ignored a message from the upstream: ") + e.what());
    }
  };
  handlers.requestFailed = [this, generation](const Json& id, const std::string& reason) {
    if (endListen(id, generation)) {
      // A listen stream that cannot be opened or read is the one sign of a
      // gone 2026-07-28 upstream while no call is made.
      bool opened;
      {
        std::lock_guard lock(mutex_);
        opened = breaker_.failure(Clock::now());
      }
      if (opened) markDown("the subscriptions/listen stream keeps failing: " + reason, generation);
      return;
    }
    correlator_.fail(id, reason);
  };
  handlers.lost = [this, generation](const std::string& reason) { markDown(reason, generation); };
  handlers.log = [this](LogLevel level, const std::string& text) { host_.log(level, text); };
  handlers.released = [this](const Json& id) {
    correlator_.postTo(id, Json{{"jsonrpc", "2.0"}, {"method", kReleased}});
  };

  auto attempt = [&](bool legacy) {
    std::shared_ptr<Transport> transport = makeTransport(legacy);
    transport->open(handlers);
    {
      std::lock_guard lock(mutex_);
      transport_ = transport;
    }
    try {
      return std::make_pair(transport, handshake(*transport, legacy));
    } catch (...) {
      transport->close();
      throw;
    }
  };
  std::shared_ptr<Transport> transport;
  Agreement agreed;
  try {
    std::tie(transport, agreed) = attempt(settings_.transport == TransportKind::Sse);
  } catch (const NotStreamableHttp& e) {
    if (settings_.transport != TransportKind::Auto) throw;
    host_.log(LogLevel::Info, std::string(e.what()) + "; trying the HTTP+SSE transport");
    std::tie(transport, agreed) = attempt(true);
  }
  {
    std::lock_guard lock(mutex_);
    capabilities_ = agreed.capabilities;
    protocolVersion_ = agreed.version;
    modern_ = agreed.modern;
    connected_ = true;  // the lists below are the connector's own requests
  }
  try {
    const Lists fresh = fetchLists(0xF, Lists{});
    const uint32_t changed = publish(fresh);
    host_.log(LogLevel::Info, "connected to " + transport->describe() + " (protocol " +
                                  agreed.version + ", " + std::to_string(fresh.tools.size()) +
                                  " tools)");
    if (changed != 0) host_.listChanged(changed);
  } catch (...) {
    std::lock_guard lock(mutex_);
    connected_ = false;
    throw;
  }
  if (agreed.modern) openListen();
}

Json Upstream::awaitReply(Transport& transport, const std::string& method, const Json& params,
                          Millis wait) {
  const Json id = nextId_++;
  auto pending = correlator_.open(id);
  PendingGuard guard(correlator_, id, [](const Json&) {});
  Headers headers;
  if (method == "server/discover")
    headers = {{"MCP-Protocol-Version", kModernVersion}, {"Mcp-Method", method}};
  transport.send(request(id, method, params), headers);
  const auto deadline = Clock::now() + wait;
  for (;;) {
    auto next = pending->waitNext(std::chrono::milliseconds(100));
    if (next.kind == Pending::Next::Kind::Response) {
      guard.finished();
      if (next.message.contains("error")) {
        const Json& e = next.message["error"];
        throw RpcError(e.is_object() ? e.value("code", sdk::codes::kInternalError)
                                     : sdk::codes::kInternalError,
                       method + " failed: " +
                           (e.is_object() ? e.value("message", std::string("error")) : e.dump()),
                       e.is_object() && e.contains("data") ? e["data"] : Json());
      }
      return next.message["result"];
    }
    if (next.kind == Pending::Next::Kind::Failed) throw UpstreamError(next.reason);
    if (next.kind == Pending::Next::Kind::Message)
      continue;  // nothing to relay during the handshake
    if (Clock::now() > deadline) throw UpstreamError("no answer to " + method);
  }
}

Upstream::Agreement Upstream::handshake(Transport& transport, bool legacy) {
  // 2026-07-28 first (server/discover), unless the operator chose a 2025
  // version or the legacy transport, which predates it.
  const bool tryModern =
      !legacy && (settings_.protocol == "auto" || settings_.protocol == kModernVersion);
  if (tryModern) {
    try {
      const Json result =
          awaitReply(transport, "server/discover", Json{{"_meta", modernMeta(nullptr)}},
                     settings_.connectTimeout);
      const Json versions = result.value("supportedVersions", Json::array());
      if (!versions.is_array() ||
          std::find(versions.begin(), versions.end(), Json(kModernVersion)) == versions.end()) {
        throw UpstreamError("the upstream does not offer protocol " + std::string(kModernVersion));
      }
      if (result.contains("capabilities") && !result["capabilities"].is_object()) {
        throw UpstreamError("the upstream's capabilities are not an object");
      }
      transport.setProtocolVersion(kModernVersion, true);
      return Agreement{result.value("capabilities", Json::object()), kModernVersion, true};
    } catch (const NotStreamableHttp&) {
      throw;
    } catch (const std::exception& e) {
      if (settings_.protocol == kModernVersion) throw UpstreamError(e.what());
      host_.log(LogLevel::Debug,
                std::string("server/discover: ") + e.what() + "; trying initialize");
    }
  }
  const std::string version =
      settings_.protocol == "auto" ? kLatestSessionVersion : settings_.protocol;
  const Json params{{"protocolVersion", legacy ? std::string("2024-11-05") : version},
                    {"capabilities",
                     {{"sampling", Json::object()},
                      {"elicitation", {{"form", Json::object()}, {"url", Json::object()}}},
                      {"roots", {{"listChanged", true}}}}},
                    {"clientInfo", {{"name", "portcullis-mcp-upstream"}, {"version", "1.0.0"}}}};
  Json result;
  try {
    result = awaitReply(transport, "initialize", params,
                        settings_.connectTimeout + settings_.requestTimeout);
  } catch (const RpcError& e) {
    throw UpstreamError(e.what());
  }
  const std::string agreed = result.value("protocolVersion", std::string());
  if (!knownSessionVersion(agreed))
    throw UpstreamError("the upstream answered with protocol version \"" + agreed + "\"");
  if (result.contains("capabilities") && !result["capabilities"].is_object()) {
    throw UpstreamError("the upstream's capabilities are not an object");
  }
  transport.send(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  transport.setProtocolVersion(agreed, false);
  return Agreement{result.value("capabilities", Json::object()), agreed, false};
}

Json Upstream::modernMeta(sdk::Call* call) const {
  if (call == nullptr) return mcp_upstream::modernMeta(Json(), Json());
  return mcp_upstream::modernMeta(call->info(), call->params());
}

Json Upstream::fetchAll(const std::string& method, const std::string& key) {
  Json items = Json::array();
  Json cursor;
  for (int page = 0; page < kMaxListPages; ++page) {
    Json params = Json::object();
    if (!cursor.is_null()) params["cursor"] = cursor;
    const Json result = exchange(method, params, nullptr);
    if (!result.contains(key) || !result[key].is_array())
      throw UpstreamError(method + " returned no \"" + key + "\" array");
    for (const auto& item : result[key]) items.push_back(item);
    if (!result.contains("nextCursor") || !result["nextCursor"].is_string()) return items;
    cursor = result["nextCursor"];
  }
  throw UpstreamError(method + " has more than " + std::to_string(kMaxListPages) + " pages");
}

Upstream::Lists Upstream::fetchLists(uint32_t which, const Lists& previous) {
  Json capabilities;
  {
    std::lock_guard lock(mutex_);
    capabilities = capabilities_;
  }
  Lists lists = previous;
  if (which & PC_LIST_TOOLS) {
    lists.tools = capabilities.contains("tools") ? fetchAll("tools/list", "tools") : Json::array();
  }
  // Tools decide whether the upstream is usable; a resource or prompt list
  // it refuses (a token without resources:read, say) is served as empty.
  auto optional = [&](const char* method, const char* key) {
    try {
      return fetchAll(method, key);
    } catch (const UpstreamError& e) {
      host_.log(LogLevel::Warning, std::string(method) + " failed, served as empty: " + e.what());
      return Json::array();
    }
  };
  if (which & PC_LIST_RESOURCES) {
    lists.resources =
        capabilities.contains("resources") ? optional("resources/list", "resources") : Json::array();
  }
  if (which & PC_LIST_RESOURCE_TEMPLATES) {
    lists.templates = capabilities.contains("resources")
                          ? optional("resources/templates/list", "resourceTemplates")
                          : Json::array();
  }
  if (which & PC_LIST_PROMPTS) {
    lists.prompts = capabilities.contains("prompts") ? optional("prompts/list", "prompts") : Json::array();
  }
  return lists;
}

namespace {

std::string sha256Hex(const std::string& text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace

Json Upstream::admitPinned(const Json& mappedTools, const Json& upstreamTools) {
  // Each tool's pin is the SHA-256 of its definition as the upstream sent it
  // (keys sorted), so the operator's renames and descriptions are not
  // changes to approve.
  std::map<std::string, const Json*> byName;
  for (const auto& t : upstreamTools) {
    if (t.is_object() && t.contains("name") && t["name"].is_string()) byName[t["name"].get<std::string>()] = &t;
  }
  Json admitted = Json::array();
  for (const auto& tool : mappedTools) {
    const std::string external = tool.value("name", std::string());
    const auto raw = byName.find(names_.upstreamTool(external));
    const std::string hash = sha256Hex((raw != byName.end() ? *raw->second : tool).dump());
    if (pins_.admit("tool", external, hash)) admitted.push_back(tool);
  }
  return admitted;
}

uint32_t Upstream::publish(const Lists& lists) {
  std::vector<std::string> warnings;
  uint32_t changed = 0;
  {
    std::lock_guard lock(mutex_);
    Lists mapped;
    auto tools = names_.mapTools(lists.tools);
    auto prompts = names_.mapPrompts(lists.prompts);
    mapped.tools = std::move(tools.definitions);
    mapped.prompts = std::move(prompts.definitions);
    mapped.resources = lists.resources;
    mapped.templates = lists.templates;
    warnings = tools.warnings;
    warnings.insert(warnings.end(), prompts.warnings.begin(), prompts.warnings.end());
    if (mapped.tools != mapped_.tools) changed |= PC_LIST_TOOLS;
    if (mapped.resources != mapped_.resources) changed |= PC_LIST_RESOURCES;
    if (mapped.templates != mapped_.templates) changed |= PC_LIST_RESOURCE_TEMPLATES;
    if (mapped.prompts != mapped_.prompts) changed |= PC_LIST_PROMPTS;
    raw_ = lists;
    mapped_ = std::move(mapped);
  }
  for (const auto& w : warnings) host_.log(LogLevel::Warning, w);
  return changed;
}

void Upstream::markDown(const std::string& reason, uint64_t generation) {
  bool hide = false;
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || stopping_) return;
    if (!connected_) return;
    connected_ = false;
    downReason_ = reason;
    hide = settings_.whenDown == WhenDown::Hide;
  }
  host_.log(LogLevel::Warning, "upstream lost: " + reason);
  correlator_.failAll(reason);
  wake_.notify_all();
  if (hide)
    host_.listChanged(PC_LIST_TOOLS | PC_LIST_RESOURCES | PC_LIST_RESOURCE_TEMPLATES |
                      PC_LIST_PROMPTS);
}

void Upstream::supervise() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (connected_ && relisten_) {
      relisten_ = false;
      // A short pause, so an upstream that drops the stream at once is not hammered.
      if (wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; })) break;
      lock.unlock();
      try {
        openListen();
      } catch (const std::exception& e) {
        host_.log(LogLevel::Warning, std::string("subscriptions/listen failed: ") + e.what());
      }
      lock.lock();
      continue;
    }
    if (connected_ && refresh_ == 0) {
      wake_.wait(lock, [&] { return stopping_ || !connected_ || refresh_ != 0 || relisten_; });
      continue;
    }
    if (connected_) {
      const uint32_t which = refresh_;
      refresh_ = 0;
      const Lists previous = raw_;
      lock.unlock();
      try {
        const uint32_t changed = publish(fetchLists(which, previous));
        if (changed != 0) host_.listChanged(changed);
      } catch (const std::exception& e) {
        host_.log(LogLevel::Warning, std::string("refreshing the lists failed: ") + e.what());
      }
      lock.lock();
      continue;
    }
    // Down: wait out the backoff (and an open breaker), then try again.
    auto delay = std::max(backoff_.next(), breaker_.remaining(Clock::now()));
    if (wake_.wait_for(lock, delay, [&] { return stopping_; })) break;
    std::shared_ptr<Transport> old = std::move(transport_);
    lock.unlock();
    if (old) old->close();
    bool wasHidden = settings_.whenDown == WhenDown::Hide;
    try {
      connect();
      lock.lock();
      backoff_.reset();
      breaker_.success();
      lock.unlock();
      // connect() announced list differences; hidden lists come back as a whole.
      if (wasHidden)
        host_.listChanged(PC_LIST_TOOLS | PC_LIST_RESOURCES | PC_LIST_RESOURCE_TEMPLATES |
                          PC_LIST_PROMPTS);
    } catch (const std::exception& e) {
      lock.lock();
      breaker_.failure(Clock::now());
      downReason_ = e.what();
      lock.unlock();
      host_.log(LogLevel::Warning, std::string("reconnecting failed: ") + e.what());
    }
    lock.lock();
  }
}

void Upstream::sendQuietly(const Json& message) {
  std::shared_ptr<Transport> transport;
  {
    std::lock_guard lock(mutex_);
    transport = transport_;
  }
  if (!transport) return;
  try {
    transport->send(message);
  } catch (const std::exception& e) {
    host_.log(LogLevel::Debug, std::string("could not send to the upstream: ") + e.what());
  }
}

void Upstream::onInbound(const Json& message, const std::optional<Json>& related,
                         uint64_t generation) {
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_) return;  // from a connection already replaced
  }
  if (isListenTraffic(message, generation)) return;
  if (message.is_object() && message.value("method", Json()) == "ping" && message.contains("id")) {
    sendQuietly(Json{{"jsonrpc", "2.0"}, {"id", message["id"]}, {"result", Json::object()}});
    return;
  }
  switch (correlator_.route(message, related)) {
    case Correlator::Route::Delivered:
      return;
    case Correlator::Route::Invalid:
      host_.log(LogLevel::Warning,
                "ignored a malformed message from the upstream: " + message.dump().substr(0, 200));
      return;
    case Correlator::Route::UnknownResponse:
      host_.log(LogLevel::Debug,
                "ignored a reply to no request in flight: id " + message["id"].dump());
      return;
    case Correlator::Route::Unrouted:
      break;
  }
  const std::string method = message["method"].get<std::string>();
  const Json params = message.contains("params") && message["params"].is_object()
                          ? message["params"]
                          : Json::object();
  if (message.contains("id")) {
    // A server request outside any client call: there is no client to ask.
    sendQuietly(Json{{"jsonrpc", "2.0"},
                     {"id", message["id"]},
                     {"error",
                      {{"code", sdk::codes::kMethodNotFound},
                       {"message", method + " is only answered during a call"}}}});
    return;
  }
  uint32_t lists = 0;
  if (method == "notifications/tools/list_changed") lists = PC_LIST_TOOLS;
  if (method == "notifications/prompts/list_changed") lists = PC_LIST_PROMPTS;
  if (method == "notifications/resources/list_changed")
    lists = PC_LIST_RESOURCES | PC_LIST_RESOURCE_TEMPLATES;
  if (lists != 0) {
    {
      std::lock_guard lock(mutex_);
      refresh_ |= lists;
    }
    wake_.notify_all();
  } else if (method == "notifications/resources/updated" && params.contains("uri") &&
             params["uri"].is_string()) {
    host_.resourceUpdated(params["uri"].get<std::string>());
  } else if (method == "notifications/message") {
    host_.log(levelNamed(textAt(params, "level", "info")),
              "upstream log: " + params.value("data", Json()).dump());
  }
}

Json Upstream::exchange(const std::string& method, Json params, sdk::Call* call, bool refreshAccount) {
  std::shared_ptr<Transport> transport;
  bool modern;
  Json inputSchema;
  {
    std::lock_guard lock(mutex_);
    if (!connected_ || !transport_) throw UpstreamError(downReason_);
    transport = transport_;
    modern = modern_;
    if (modern && method == "tools/call")
      inputSchema = schemaOf(params.value("name", std::string()));
  }
  const Json id = nextId_++;
  if (call != nullptr && call->params().contains("_meta") &&
      call->params()["_meta"].contains("progressToken")) {
    params["_meta"]["progressToken"] = Correlator::progressTokenFor(id);
  }
  Headers headers = call != nullptr ? callHeaders(*call, refreshAccount) : Headers{};
  if (modern) {
    const Json meta = modernMeta(call);
    for (const auto& [k, v] : meta.items()) params["_meta"][k] = v;
    for (auto& [k, v] : modernHeaders(method, params, inputSchema)) headers[k] = v;
  }
  auto pending = correlator_.open(id);
  PendingGuard guard(correlator_, id, [this, transport](const Json& unfinished) {
    // Closing a 2026-07-28 reply stream is its cancellation; otherwise say so.
    if (transport->abortRequest(unfinished)) return;
    sendQuietly(Json{
        {"jsonrpc", "2.0"},
        {"method", "notifications/cancelled"},
        {"params", {{"requestId", unfinished}, {"reason", "cancelled by the gateway's client"}}}});
  });
  try {
    transport->send(request(id, method, params), headers);
  } catch (const UpstreamError&) {
    guard.finished();  // never sent: nothing to cancel
    throw;
  }
  auto deadline = Clock::now() + settings_.requestTimeout;
  for (;;) {
    auto next = pending->waitNext(std::chrono::milliseconds(100));
    switch (next.kind) {
      case Pending::Next::Kind::Message:
        handleCallMessage(next.message, call);
        deadline = Clock::now() + settings_.requestTimeout;  // the upstream is working on it
        continue;
      case Pending::Next::Kind::Response: {
        guard.finished();
        if (next.message.contains("error")) {
          const Json& e = next.message["error"];
          if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer()) {
            throw UpstreamError("the upstream sent a malformed error");
          }
          const Json message = e.value("message", Json());
          throw RpcError(e["code"].get<int>(),
                         message.is_string() ? message.get<std::string>() : "upstream error",
                         e.contains("data") ? e["data"] : Json());
        }
        return next.message["result"];
      }
      case Pending::Next::Kind::Failed:
        guard.finished();
        if (next.reason == CallerRefused::kReason) throw CallerRefused();
        throw UpstreamError(next.reason);
      case Pending::Next::Kind::Timeout:
        break;
    }
    if (call != nullptr && call->cancelled()) throw sdk::detail::CancelledSignal{};
    if (Clock::now() > deadline) {
      throw UpstreamError("no answer to " + method + " within " +
                          std::to_string(settings_.requestTimeout.count()) + " ms");
    }
  }
}

void Upstream::handleCallMessage(const Json& message, sdk::Call* call) {
  const std::string method = message["method"].get<std::string>();
  const Json params = message.contains("params") && message["params"].is_object()
                          ? message["params"]
                          : Json::object();
  if (!message.contains("id")) {
    if (call == nullptr) return;
    if (method == kReleased) {
      call->releaseStream();
      return;
    }
    if (method == "notifications/progress" && params.contains("progress") &&
        params["progress"].is_number()) {
      std::optional<double> total;
      if (params.contains("total") && params["total"].is_number())
        total = params["total"].get<double>();
      call->progress(params["progress"].get<double>(), total, textAt(params, "message"));
    } else if (method == "notifications/message") {
      call->log(levelNamed(textAt(params, "level", "info")), params.value("data", Json()),
                textAt(params, "logger"));
    }
    return;
  }
  Json reply{{"jsonrpc", "2.0"}, {"id", message["id"]}};
  const bool forClient = method == "sampling/createMessage" || method == "elicitation/create" ||
                         method == "roots/list";
  if (method == "ping") {
    reply["result"] = Json::object();
  } else if (call == nullptr || !forClient) {
    reply["error"] = {{"code", sdk::codes::kMethodNotFound},
                      {"message", "Method not found: " + method}};
  } else {
    try {
      reply["result"] = call->request(method, params);
    } catch (const RpcError& e) {
      reply["error"] = {{"code", e.code()}, {"message", e.what()}};
      if (!e.data().is_null()) reply["error"]["data"] = e.data();
    } catch (const sdk::detail::InputRequiredSignal&) {
      // The client answers on a retry of the whole request: this upstream
      // call ends here (and is cancelled), so leave it no question open.
      reply["error"] = {{"code", sdk::codes::kInternalError},
                        {"message", "the client will answer on a retry"}};
      sendQuietly(reply);
      throw;
    } catch (const sdk::detail::CancelledSignal&) {
      reply["error"] = {{"code", sdk::codes::kInternalError},
                        {"message", "the request was cancelled"}};
      sendQuietly(reply);
      throw;
    }
  }
  sendQuietly(reply);
}

std::string Upstream::accountTitle() const {
  return settings_.userOAuth ? settings_.userOAuth->value("title", name_) : name_;
}

std::string Upstream::linkMessage(const LinkRequired& link) const {
  return "Link your " + accountTitle() + " account first: open " + link.url + " in a browser, then try again.";
}

std::string Upstream::refusedMessage() const {
  return "The upstream refused your linked " + accountTitle() +
         " account even with a fresh token. Unlink it and link it again on this server's /accounts page.";
}

Headers Upstream::callHeaders(sdk::Call& call, bool refreshAccount) const {
  Headers headers;
  if (settings_.userOAuth) {
    const sdk::AccountToken token = call.accountToken(refreshAccount);
    if (token.status == sdk::AccountToken::Status::LinkRequired) throw LinkRequired{token.linkUrl};
    headers["Authorization"] = "Bearer " + token.token;
  }
  if (settings_.identity) {
    const auto& id = *settings_.identity;
    const std::string jwt = call.identityAssertion(id.audience, id.ttl.count());
    headers[id.header] = id.scheme.empty() ? jwt : id.scheme + " " + jwt;
  }
  return headers;
}

Json Upstream::schemaOf(const std::string& upstreamTool) const {
  for (const auto& t : raw_.tools) {
    if (t.is_object() && t.value("name", Json()) == upstreamTool)
      return t.value("inputSchema", Json());
  }
  return Json();
}

void Upstream::openListen() {
  std::shared_ptr<Transport> transport;
  Json filter = Json::object();
  Json id;
  {
    std::lock_guard lock(mutex_);
    if (!connected_ || !modern_ || !listenId_.is_null()) return;
    auto wants = [&](const char* capability) {
      if (!capabilities_.contains(capability) || !capabilities_[capability].is_object())
        return false;
      const Json& flag = capabilities_[capability].value("listChanged", Json());
      return flag.is_boolean() && flag.get<bool>();
    };
    if (wants("tools")) filter["toolsListChanged"] = true;
    if (wants("prompts")) filter["promptsListChanged"] = true;
    if (wants("resources")) filter["resourcesListChanged"] = true;
    if (!subscriptions_.empty()) filter["resourceSubscriptions"] = subscriptions_;
    if (filter.empty()) return;
    transport = transport_;
    id = nextId_++;
    listenId_ = id;
  }
  try {
    transport->send(request(id, "subscriptions/listen",
                            Json{{"notifications", filter}, {"_meta", modernMeta(nullptr)}}),
                    Headers{{"Mcp-Method", "subscriptions/listen"}});
  } catch (const std::exception& e) {
    host_.log(LogLevel::Warning, std::string("subscriptions/listen failed: ") + e.what());
    std::lock_guard lock(mutex_);
    if (listenId_ == id) listenId_ = nullptr;
  }
}

void Upstream::closeListen() {
  std::shared_ptr<Transport> transport;
  Json id;
  {
    std::lock_guard lock(mutex_);
    id = listenId_;
    listenId_ = nullptr;
    transport = transport_;
  }
  if (id.is_null() || !transport) return;
  if (!transport->abortRequest(id)) {
    sendQuietly(Json{{"jsonrpc", "2.0"},
                     {"method", "notifications/cancelled"},
                     {"params", {{"requestId", id}}}});
  }
}

bool Upstream::endListen(const Json& id, uint64_t generation) {
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || listenId_.is_null() || id != listenId_) return false;
    listenId_ = nullptr;
    relisten_ = true;  // the supervisor opens a new one shortly
  }
  wake_.notify_all();
  return true;
}

bool Upstream::isListenTraffic(const Json& message, uint64_t generation) {
  if (!message.is_object()) return false;
  if (message.contains("method")) {
    const Json params = message.value("params", Json::object());
    if (!params.is_object() || !params.contains("_meta") || !params["_meta"].is_object())
      return false;
    const Json subscription = params["_meta"].value(kSubscriptionIdKey, Json());
    std::lock_guard lock(mutex_);
    if (subscription.is_null() || subscription != listenId_) return false;
    // The acknowledgment and the notifications of our own subscription: handled
    // below as the connector's (they carry no id, so never reach a call).
    return message.value("method", std::string()) == "notifications/subscriptions/acknowledged";
  }
  // The upstream ended the subscription gracefully.
  return message.contains("id") && endListen(message["id"], generation);
}

std::optional<Json> Upstream::subscribe(bool add, const std::string& uri) {
  {
    std::lock_guard lock(mutex_);
    if (!modern_) return std::nullopt;  // a session upstream takes resources/subscribe itself
    if (add)
      subscriptions_.insert(uri);
    else
      subscriptions_.erase(uri);
  }
  // 2026-07-28 has no resources/subscribe: the listen stream names the URIs.
  closeListen();
  openListen();
  return Json::object();
}

Json Upstream::health() const {
  std::lock_guard lock(mutex_);
  if (connected_) return Json{{"status", "up"}, {"protocol", protocolVersion_}};
  return Json{{"status", "down"}, {"detail", downReason_}};
}

Json Upstream::list(uint32_t which) {
  std::lock_guard lock(mutex_);
  if (!connected_ && settings_.whenDown == WhenDown::Hide) return Json::array();
  switch (which) {
    case PC_LIST_TOOLS:
      // Pins are checked whenever the core asks, so an approval (which makes
      // the core ask again) takes effect without an upstream change.
      return admitPinned(mapped_.tools, raw_.tools);
    case PC_LIST_RESOURCES:
      return mapped_.resources;
    case PC_LIST_RESOURCE_TEMPLATES:
      return mapped_.templates;
    case PC_LIST_PROMPTS:
      return mapped_.prompts;
    default:
      return Json::array();
  }
}

Json Upstream::forward(const std::string& method, Json params, sdk::Call& call) {
  if (!settings_.userOAuth) return forwardOnce(method, params, call, false);
  try {
    return forwardOnce(method, params, call, false);
  } catch (const CallerRefused&) {
    // The linked account's token was refused (revoked, or expired early):
    // once more with a fresh one.
    return forwardOnce(method, params, call, true);
  }
}

Json Upstream::forwardOnce(const std::string& method, const Json& params, sdk::Call& call, bool refreshAccount) {
  try {
    Json result = exchange(method, params, &call, refreshAccount);
    std::lock_guard lock(mutex_);
    breaker_.success();
    return result;
  } catch (const CallerRefused&) {
    throw;  // about this caller, not the upstream's health
  } catch (const UpstreamError& e) {
    uint64_t generation;
    bool opened;
    {
      std::lock_guard lock(mutex_);
      opened = breaker_.failure(Clock::now());
      generation = generation_;
      if (!connected_) throw;
    }
    if (opened)
      markDown("the circuit breaker opened after repeated failures: " + std::string(e.what()),
               generation);
    throw;
  }
}

Json Upstream::invoke(const std::string& method, const Json& params, sdk::Call& call) {
  bool modern;
  {
    std::lock_guard lock(mutex_);
    modern = modern_;
  }
  // A 2025 session upstream knows nothing of multi round-trip fields; a
  // 2026-07-28 one gets the retry's inputResponses and requestState as sent.
  Json out = upstreamParams(params, modern);
  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    if (auto handled =
            subscribe(method == "resources/subscribe", params.value("uri", std::string())))
      return *handled;
  }
  if (method == "tools/call") {
    const std::string external = params.value("name", std::string());
    std::string upstreamName;
    {
      std::lock_guard lock(mutex_);
      upstreamName = names_.upstreamTool(external);
    }
    if (upstreamName.empty())
      throw RpcError(sdk::codes::kInvalidParams, "Unknown tool: " + external);
    out["name"] = upstreamName;
    try {
      Json result = forward(method, std::move(out), call);
      if (!result.is_object()) throw UpstreamError("tools/call returned no object");
      return result;
    } catch (const LinkRequired& link) {
      // A client that opens URLs offers the link page; to any other the
      // model reads the link in the tool's answer.
      const std::string message = linkMessage(link);
      if (opensUrls(call)) throw urlElicitationRequired(link, message);
      return sdk::errorResult(message);
    } catch (const CallerRefused&) {
      return sdk::errorResult(refusedMessage());
    } catch (const UpstreamError& e) {
      host_.log(LogLevel::Warning, "tools/call " + upstreamName + " failed: " + e.what());
      return sdk::errorResult("Upstream " + name_ + " is unavailable: " + e.what());
    }
  }
  if (method == "prompts/get" || method == "completion/complete") {
    const bool isPrompt = method == "prompts/get";
    const std::string external = isPrompt ? params.value("name", std::string())
                                          : params.value("/ref/name"_json_pointer, std::string());
    if (isPrompt || params.value("/ref/type"_json_pointer, std::string()) == "ref/prompt") {
      std::string upstreamName;
      {
        std::lock_guard lock(mutex_);
        upstreamName = names_.upstreamPrompt(external);
      }
      if (upstreamName.empty())
        throw RpcError(sdk::codes::kInvalidParams, "Unknown prompt: " + external);
      if (isPrompt)
        out["name"] = upstreamName;
      else
        out["ref"]["name"] = upstreamName;
    }
  } else if (method != "resources/read" && method != "resources/subscribe" &&
             method != "resources/unsubscribe") {
    throw RpcError(sdk::codes::kMethodNotFound, "Method not found: " + method);
  }
  try {
    return forward(method, std::move(out), call);
  } catch (const LinkRequired& link) {
    throw urlElicitationRequired(link, linkMessage(link));
  } catch (const CallerRefused&) {
    throw RpcError(sdk::codes::kInternalError, refusedMessage());
  } catch (const UpstreamError& e) {
    host_.log(LogLevel::Warning, method + " failed: " + e.what());
    throw RpcError(sdk::codes::kInternalError,
                   "Upstream " + name_ + " is unavailable: " + e.what());
  }
}

}  // namespace portcullis::mcp_upstream
