#include "core/transport/mcp_endpoint.hpp"

#include <charconv>

#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/mcp/versions.hpp"
#include "core/transport/post_stream.hpp"

namespace portcullis::transport {

using jsonrpc::Message;
namespace codes = jsonrpc::codes;
namespace json = common::json;

namespace {

constexpr const char* kSessionHeader = "Mcp-Session-Id";
constexpr const char* kVersionHeader = "MCP-Protocol-Version";

void reject(Exchange& exchange, int status, int code, const std::string& message,
            const json::Value& id = {}, const json::Value& data = {}) {
  exchange.respondJson(status, jsonrpc::errorResponse(id, code, message, data));
}

// Mcp-Name values outside the header-safe set arrive as "=?base64?...?=".
std::optional<std::string> decodeHeaderValue(const std::string& value) {
  if (common::startsWith(value, "=?base64?") && value.size() >= 11 &&
      value.compare(value.size() - 2, 2, "?=") == 0) {
    return common::base64Decode(value.substr(9, value.size() - 11));
  }
  if (!common::isHeaderSafe(value)) return std::nullopt;
  return value;
}

// The body field Mcp-Name mirrors, for methods that have one.
std::optional<std::string> nameField(const Message& message) {
  if (message.method == "tools/call" || message.method == "prompts/get") {
    return json::getString(message.params, "name").value_or("");
  }
  if (message.method == "resources/read") return json::getString(message.params, "uri").value_or("");
  if (message.method == "tasks/get" || message.method == "tasks/update" || message.method == "tasks/cancel") {
    return json::getString(message.params, "taskId").value_or("");
  }
  return std::nullopt;
}

// Checks the Mcp-Param-* headers of a tools/call against its arguments.
// Returns the problem, or an empty string.
std::string checkParamHeaders(Exchange& exchange, const std::vector<mcp::HeaderParam>& params,
                              const json::ObjectPtr& arguments) {
  for (const auto& param : params) {
    json::Value value;
    json::ObjectPtr level = arguments;
    for (size_t i = 0; i < param.path.size(); ++i) {
      if (!level || !level->has(param.path[i])) {
        value.clear();
        break;
      }
      if (i + 1 == param.path.size()) {
        value = level->get(param.path[i]);
      } else {
        level = json::getObject(level, param.path[i]);
      }
    }
    const std::string name = "Mcp-Param-" + param.header;
    const auto header = exchange.header(name);
    if (value.isEmpty()) {
      if (header) return name + " header sent for a parameter the body does not carry";
      continue;
    }
    if (!header) return "missing " + name + " header";
    const auto decoded = decodeHeaderValue(*header);
    if (!decoded) return name + " header is not valid";
    std::string expected;
    if (json::isString(value)) {
      expected = value.extract<std::string>();
    } else if (json::isBool(value)) {
      expected = value.extract<bool>() ? "true" : "false";
    } else if (json::isNumber(value)) {
      // Compared as numbers, but the header must be a plain decimal number.
      double parsed = 0;
      const char* begin = decoded->data();
      const char* end = begin + decoded->size();
      const auto [ptr, ec] = std::from_chars(begin, end, parsed, std::chars_format::fixed);
      if (!decoded->empty() && ec == std::errc() && ptr == end && parsed == value.convert<double>()) continue;
      return name + " header does not match the body";
    } else {
      return name + " mirrors a parameter that is not a string, integer or boolean";
    }
    if (*decoded != expected) return name + " header does not match the body";
  }
  return {};
}

}  // namespace

McpEndpoint::McpEndpoint(mcp::Dispatcher& dispatcher, mcp::SessionStore& sessions, StreamHub& hub,
                         const Guards& guards, McpEndpointOptions options, const BearerGate* gate)
    : dispatcher_(dispatcher), sessions_(sessions), hub_(hub), guards_(guards), options_(options), gate_(gate) {}

std::optional<mcp::Principal> McpEndpoint::admit(Exchange& exchange) const {
  if (gate_ == nullptr) return mcp::Principal{};
  return gate_->admit(exchange);
}

std::shared_ptr<mcp::Session> McpEndpoint::sessionOf(const std::string& id, const mcp::Principal& principal) const {
  auto session = sessions_.find(id);
  if (!session || !streamsOf(session)) return nullptr;  // unknown, or a legacy /sse session
  // A session is bound to whoever opened it: to anyone else it does not exist.
  if (session->principal().subject != principal.subject || session->principal().clientId != principal.clientId) {
    return nullptr;
  }
  return session;
}

void McpEndpoint::handle(Exchange& exchange) {
  const std::string& method = exchange.method();
  if (method == "OPTIONS") {
    guards_.preflight(exchange, "GET, POST, DELETE, OPTIONS");
    return;
  }
  if (!guards_.admit(exchange)) return;
  if (method == "POST") {
    post(exchange);
  } else if (method == "GET") {
    get(exchange);
  } else if (method == "DELETE") {
    remove(exchange);
  } else {
    exchange.setHeader("Allow", "GET, POST, DELETE, OPTIONS");
    reject(exchange, 405, codes::kServerError, "Method Not Allowed");
  }
}

std::shared_ptr<SessionStreams> McpEndpoint::streamsOf(const std::shared_ptr<mcp::Session>& session) const {
  return std::dynamic_pointer_cast<SessionStreams>(session->attachment());
}

void McpEndpoint::post(Exchange& exchange) {
  if (!isJsonContentType(exchange.header("Content-Type").value_or(""))) {
    reject(exchange, 415, codes::kServerError, "Unsupported Media Type: Content-Type must be application/json");
    return;
  }
  const std::string accept = exchange.header("Accept").value_or("");
  if (!acceptsJson(accept) || !acceptsEventStream(accept)) {
    reject(exchange, 406, codes::kServerError,
           "Not Acceptable: Accept must list both application/json and text/event-stream");
    return;
  }
  const auto principal = admit(exchange);
  if (!principal) return;
  auto text = exchange.readBody();
  if (!text) return;
  jsonrpc::Body body;
  try {
    body = jsonrpc::parseBody(*text);
  } catch (const jsonrpc::RpcError& e) {
    reject(exchange, 400, e.code(), e.what());
    return;
  }
  const auto versionHeader = exchange.header(kVersionHeader);
  bool modern = false;
  if (!body.batch) {
    const Message& m = body.messages.front();
    auto metaObject = m.params ? json::getObject(m.params, "_meta") : nullptr;
    // A request that carries modern _meta, or names a version that is not one
    // of the session-based ones, is served statelessly.
    if (metaObject && metaObject->has(mcp::meta::kProtocolVersion)) {
      modern = true;
    } else if (versionHeader && !mcp::isLegacyVersion(*versionHeader)) {
      modern = true;
    }
  }
  if (modern) {
    postModern(exchange, body.messages.front(), versionHeader, *principal);
  } else {
    postLegacy(exchange, body, versionHeader, *principal);
  }
}

void McpEndpoint::postModern(Exchange& exchange, const Message& message,
                             const std::optional<std::string>& versionHeader, const mcp::Principal& principal) {
  if (message.kind == jsonrpc::Kind::Invalid) {
    reject(exchange, 400, codes::kInvalidRequest, "Invalid Request: " + message.problem, message.id);
    return;
  }
  if (message.isResponse()) {
    reject(exchange, 400, codes::kInvalidRequest,
           "Invalid Request: clients send no responses in protocol " + std::string(mcp::kModernVersion));
    return;
  }
  if (message.isNotification()) {
    // Nothing in 2026-07-28 needs a client notification over HTTP; closing
    // a response stream is how a request is cancelled.
    exchange.respondEmpty(202);
    return;
  }
  const json::Value& id = message.id;
  if (!versionHeader) {
    reject(exchange, 400, codes::kHeaderMismatch, "Header mismatch: missing MCP-Protocol-Version header", id);
    return;
  }
  mcp::ModernMeta meta;
  try {
    meta = mcp::readModernMeta(message.params);
  } catch (const jsonrpc::RpcError& e) {
    reject(exchange, 400, e.code(), e.what(), id);
    return;
  }
  if (meta.version != *versionHeader) {
    reject(exchange, 400, codes::kHeaderMismatch,
           "Header mismatch: MCP-Protocol-Version header '" + *versionHeader +
               "' does not match _meta version '" + meta.version + "'",
           id);
    return;
  }
  if (!mcp::isModernVersion(meta.version)) {
    json::ObjectPtr data = json::makeObject();
    json::ArrayPtr supported = json::makeArray();
    for (const auto& v : mcp::modernVersions()) supported->add(v);
    data->set("supported", supported);
    data->set("requested", meta.version);
    reject(exchange, 400, codes::kUnsupportedProtocolVersion, "Unsupported protocol version", id, data);
    return;
  }
  const auto methodHeader = exchange.header("Mcp-Method");
  if (!methodHeader || *methodHeader != message.method) {
    reject(exchange, 400, codes::kHeaderMismatch,
           methodHeader ? "Header mismatch: Mcp-Method header '" + *methodHeader +
                              "' does not match body method '" + message.method + "'"
                        : "Header mismatch: missing Mcp-Method header",
           id);
    return;
  }
  if (auto expected = nameField(message)) {
    const auto nameHeader = exchange.header("Mcp-Name");
    const auto decoded = nameHeader ? decodeHeaderValue(*nameHeader) : std::nullopt;
    if (!decoded || *decoded != *expected) {
      reject(exchange, 400, codes::kHeaderMismatch,
             nameHeader ? "Header mismatch: Mcp-Name header does not match the body"
                        : "Header mismatch: missing Mcp-Name header",
             id);
      return;
    }
  }
  if (message.method == "tools/call") {
    const std::string problem =
        checkParamHeaders(exchange, dispatcher_.headerParams(json::getString(message.params, "name").value_or("")),
                          json::getObject(message.params, "arguments"));
    if (!problem.empty()) {
      reject(exchange, 400, codes::kHeaderMismatch, "Header mismatch: " + problem, id);
      return;
    }
  }
  if (mcp::Dispatcher::isRemovedInModern(message.method) || !mcp::Dispatcher::isModernMethod(message.method)) {
    reject(exchange, 404, codes::kMethodNotFound, "Method not found: " + message.method, id);
    return;
  }
  if (gate_ != nullptr &&
      !gate_->permits(exchange, principal, {&message}, dispatcher_.stepUpScopes(message, principal))) {
    return;
  }

  mcp::RequestScope scope;
  scope.era = mcp::Era::Modern;
  scope.principal = principal;
  scope.version = meta.version;
  scope.clientCapabilities = meta.clientCapabilities;
  scope.clientInfo = meta.clientInfo;
  scope.logLevel = meta.logLevel;
  scope.cancellation = std::make_shared<mcp::Cancellation>();
  if (message.method == "subscriptions/listen") {
    listen(exchange, message, scope);
    return;
  }
  auto stream = std::make_shared<PostStream>(exchange, hub_, PostStreamOptions{}, nullptr, scope.cancellation);
  scope.stream = stream;
  mcp::Reply reply = dispatcher_.handle(message, scope);
  scope.stream.reset();
  if (reply.kind == mcp::Reply::Kind::None) {
    if (!stream->close()) exchange.respondEmpty(204);
    return;
  }
  if (stream->finish(reply.body)) return;
  int status = 200;
  if (reply.kind == mcp::Reply::Kind::Error) {
    if (reply.errorCode == codes::kMethodNotFound) status = 404;
    if (reply.errorCode == codes::kMissingClientCapability) status = 400;
    if (reply.errorCode == codes::kServerError) status = 503;  // out of sessions or tasks
  }
  exchange.respondJson(status, reply.body);
}

void McpEndpoint::listen(Exchange& exchange, const Message& message, mcp::RequestScope& scope) {
  mcp::ListenFilter filter;
  try {
    filter = dispatcher_.acceptListen(message.params);
  } catch (const jsonrpc::RpcError& e) {
    reject(exchange, 400, e.code(), e.what(), message.id);
    return;
  }
  if (hub_.full()) {
    reject(exchange, 503, codes::kServerError, "Too many open streams; try again later", message.id);
    return;
  }
  // The acknowledgement is the first message, and every change after it must
  // arrive: both are held by the stream until its connection is attached.
  auto stream = std::make_shared<EventStream>(hub_, common::randomHex(8), EventStreamOptions{});
  stream->send(jsonrpc::notification("notifications/subscriptions/acknowledged",
                                     dispatcher_.listenAcknowledgement(filter, message.id)));
  mcp::ChangeFeed& feed = dispatcher_.feed();
  const uint64_t listenerId = feed.addListener(message.id, filter, stream, scope.principal);
  std::string head;
  Channel channel = exchange.detach(200, "text/event-stream", head);
  std::weak_ptr<EventStream> weak = stream;
  const StreamHub::Id sink = hub_.open(channel, std::move(head), exchange.http11(),
                                       [weak, listenerId, &feed](StreamHub::Id id) {
                                         if (auto s = weak.lock()) s->sinkClosed(id);
                                         feed.removeListener(listenerId);
                                       });
  if (sink == 0) {
    feed.removeListener(listenerId);
    refuseStream(channel);
    return;
  }
  stream->attach(sink, std::nullopt);
}

void McpEndpoint::initialize(Exchange& exchange, const Message& message, const mcp::Principal& principal) {
  if (auto sessionId = exchange.header(kSessionHeader)) {
    if (sessions_.find(*sessionId)) {
      reject(exchange, 400, codes::kInvalidRequest, "Invalid Request: the session is already initialized",
             message.id);
    } else {
      reject(exchange, 404, -32001, "Session not found", message.id);
    }
    return;
  }
  mcp::RequestScope scope;
  scope.era = mcp::Era::Legacy;
  scope.principal = principal;
  mcp::Reply reply = dispatcher_.handle(message, scope);
  if (reply.session) {
    reply.session->setAttachment(std::make_shared<SessionStreams>());
    exchange.setHeader(kSessionHeader, reply.session->id());
  }
  // A full session store is a temporary condition of the server.
  const bool full = reply.kind == mcp::Reply::Kind::Error && reply.errorCode == codes::kServerError;
  exchange.respondJson(full ? 503 : 200, reply.body);
}

void McpEndpoint::postLegacy(Exchange& exchange, const jsonrpc::Body& body,
                             const std::optional<std::string>& versionHeader, const mcp::Principal& principal) {
  const Message& first = body.messages.front();
  if (!body.batch && first.isRequest() && first.method == "initialize") {
    initialize(exchange, first, principal);
    return;
  }
  for (const auto& m : body.messages) {
    if (m.isRequest() && m.method == "initialize") {
      reject(exchange, 400, codes::kInvalidRequest, "Invalid Request: initialize cannot be part of a batch");
      return;
    }
  }
  if (!body.batch && first.kind == jsonrpc::Kind::Invalid) {
    reject(exchange, 400, codes::kInvalidRequest, "Invalid Request: " + first.problem, first.id);
    return;
  }
  const auto sessionId = exchange.header(kSessionHeader);
  if (!sessionId) {
    reject(exchange, 400, codes::kServerError, "Bad Request: Mcp-Session-Id header is required",
           body.batch ? json::Value() : first.id);
    return;
  }
  auto session = sessionOf(*sessionId, principal);
  if (!session) {
    reject(exchange, 404, -32001, "Session not found", body.batch ? json::Value() : first.id);
    return;
  }
  if (versionHeader && !mcp::isLegacyVersion(*versionHeader)) {
    reject(exchange, 400, codes::kServerError, "Bad Request: Unsupported protocol version " + *versionHeader);
    return;
  }
  const std::string version = session->version();
  if (body.batch && mcp::atLeast(version, "2025-06-18")) {
    reject(exchange, 400, codes::kInvalidRequest,
           "Invalid Request: protocol " + version + " does not allow batches");
    return;
  }
  if (gate_ != nullptr) {
    std::vector<const Message*> all;
    std::vector<std::string> policyScopes;
    for (const auto& m : body.messages) {
      all.push_back(&m);
      if (m.isRequest()) {
        for (auto& s : dispatcher_.stepUpScopes(m, principal)) policyScopes.push_back(std::move(s));
      }
    }
    if (!gate_->permits(exchange, principal, all, policyScopes)) return;
  }
  session->touch();

  auto scopeFor = [&](std::shared_ptr<mcp::Outbound> stream) {
    mcp::RequestScope scope;
    scope.era = mcp::Era::Legacy;
    scope.version = version;
    scope.session = session;
    scope.clientCapabilities = session->clientCapabilities();
    scope.clientInfo = session->clientInfo();
    scope.logLevel = session->logLevel();
    // The token of this request, not of the initialize: a role change or a
    // narrower token applies at once.
    scope.principal = principal;
    scope.stream = std::move(stream);
    return scope;
  };

  std::vector<const Message*> requests;
  std::vector<std::string> errors;
  for (const auto& m : body.messages) {
    if (m.isResponse()) {
      session->resolveReply(m);
    } else if (m.isNotification()) {
      auto scope = scopeFor(nullptr);
      dispatcher_.notify(m, scope);
    } else if (m.isRequest()) {
      requests.push_back(&m);
    } else {
      errors.push_back(jsonrpc::errorResponse(m.id, codes::kInvalidRequest, "Invalid Request: " + m.problem));
    }
  }
  if (requests.empty()) {
    if (errors.empty()) {
      exchange.respondEmpty(202);
    } else if (!body.batch) {
      exchange.respondJson(400, errors.front());
    } else {
      std::string out = "[";
      for (size_t i = 0; i < errors.size(); ++i) out += (i ? "," : "") + errors[i];
      exchange.respondJson(400, out + "]");
    }
    return;
  }

  PostStreamOptions streamOptions;
  streamOptions.resumable = true;
  streamOptions.prime = mcp::atLeast(version, "2025-11-25");
  streamOptions.retry = options_.retry;
  streamOptions.history = options_.history;
  auto stream = std::make_shared<PostStream>(exchange, hub_, streamOptions, streamsOf(session), nullptr);
  std::vector<std::string> replies = std::move(errors);
  for (const Message* request : requests) {
    auto scope = scopeFor(stream);
    const std::string key = jsonrpc::idKey(request->id);
    scope.cancellation = session->track(key);
    mcp::Reply reply = dispatcher_.handle(*request, scope);
    session->untrack(key);
    if (reply.kind == mcp::Reply::Kind::None) continue;
    if (!body.batch) {
      if (!stream->finish(reply.body)) exchange.respondJson(200, reply.body);
      return;
    }
    replies.push_back(std::move(reply.body));
  }
  if (!body.batch) {
    // The only request was cancelled: no response is due.
    if (!stream->close()) exchange.respondEmpty(204);
    return;
  }
  if (stream->upgraded()) {
    for (const auto& r : replies) stream->send(r);
    stream->close();
    return;
  }
  if (replies.empty()) {
    exchange.respondEmpty(202);
    return;
  }
  std::string out = "[";
  for (size_t i = 0; i < replies.size(); ++i) out += (i ? "," : "") + replies[i];
  exchange.respondJson(200, out + "]");
}

void McpEndpoint::get(Exchange& exchange) {
  const auto versionHeader = exchange.header(kVersionHeader);
  const auto sessionId = exchange.header(kSessionHeader);
  if (!sessionId && versionHeader && !mcp::isLegacyVersion(*versionHeader)) {
    exchange.setHeader("Allow", "POST, OPTIONS");
    reject(exchange, 405, codes::kServerError,
           "Method Not Allowed: protocol " + *versionHeader + " has no GET stream");
    return;
  }
  if (!acceptsEventStream(exchange.header("Accept").value_or(""))) {
    reject(exchange, 406, codes::kServerError, "Not Acceptable: Accept must list text/event-stream");
    return;
  }
  const auto principal = admit(exchange);
  if (!principal) return;
  if (!sessionId) {
    reject(exchange, 400, codes::kServerError, "Bad Request: Mcp-Session-Id header is required");
    return;
  }
  auto session = sessionOf(*sessionId, *principal);
  if (!session) {
    reject(exchange, 404, -32001, "Session not found");
    return;
  }
  if (versionHeader && !mcp::isLegacyVersion(*versionHeader)) {
    reject(exchange, 400, codes::kServerError, "Bad Request: Unsupported protocol version " + *versionHeader);
    return;
  }
  auto streams = streamsOf(session);
  if (hub_.full()) {
    reject(exchange, 503, codes::kServerError, "Too many open streams; try again later");
    return;
  }
  session->touch();
  std::shared_ptr<EventStream> stream;
  std::optional<uint64_t> after;
  bool fresh = false;
  if (auto lastEventId = exchange.header("Last-Event-ID")) {
    uint64_t seq = 0;
    stream = streams->forEvent(*lastEventId, seq);
    if (!stream) {
      reject(exchange, 400, codes::kServerError, "Bad Request: unknown Last-Event-ID");
      return;
    }
    after = seq;
  } else {
    stream = streams->standalone();
    if (stream && stream->connected()) {
      reject(exchange, 409, codes::kServerError, "Conflict: this session already has a GET stream open");
      return;
    }
    if (!stream) {
      stream = std::make_shared<EventStream>(hub_, common::randomHex(8),
                                             EventStreamOptions{true, options_.history});
      streams->setStandalone(stream);
      session->setNotificationStream(stream);
    }
    fresh = true;
  }
  std::string head;
  Channel channel = exchange.detach(200, "text/event-stream", head);
  std::weak_ptr<EventStream> weak = stream;
  const StreamHub::Id sink = hub_.open(channel, std::move(head), exchange.http11(), [weak](StreamHub::Id id) {
    if (auto s = weak.lock()) s->sinkClosed(id);
  });
  if (sink == 0) {
    refuseStream(channel);
    return;
  }
  stream->attach(sink, after);
  if (fresh && mcp::atLeast(session->version(), "2025-11-25")) {
    stream->sendRaw(ssePriming(stream->reserveEventId(), options_.retry));
  }
}

void McpEndpoint::remove(Exchange& exchange) {
  const auto sessionId = exchange.header(kSessionHeader);
  const auto principal = admit(exchange);
  if (!principal) return;
  if (!sessionId) {
    reject(exchange, 400, codes::kServerError, "Bad Request: Mcp-Session-Id header is required");
    return;
  }
  auto session = sessionOf(*sessionId, *principal);
  if (!session || !sessions_.remove(*sessionId)) {
    reject(exchange, 404, -32001, "Session not found");
    return;
  }
  exchange.respondEmpty(200);
}

}  // namespace portcullis::transport
