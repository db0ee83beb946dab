#include "core/transport/legacy_sse_endpoint.hpp"

#include "core/common/random.hpp"
#include "core/transport/event_stream.hpp"

namespace portcullis::transport {

using jsonrpc::Message;
namespace codes = jsonrpc::codes;
namespace json = common::json;

namespace {

// Closes the stream when the session ends (idle sweep, shutdown).
class StreamCloser : public mcp::SessionAttachment {
 public:
  explicit StreamCloser(std::weak_ptr<EventStream> stream) : stream_(std::move(stream)) {}
  void onSessionClosed() override {
    if (auto s = stream_.lock()) s->close();
  }

 private:
  std::weak_ptr<EventStream> stream_;
};

}  // namespace

LegacySseEndpoint::LegacySseEndpoint(mcp::Dispatcher& dispatcher, mcp::SessionStore& sessions,
                                     StreamHub& hub, const Guards& guards, const BearerGate* gate)
    : dispatcher_(dispatcher), sessions_(sessions), hub_(hub), guards_(guards), gate_(gate) {}

void LegacySseEndpoint::handle(Exchange& exchange) {
  const bool stream = exchange.path() == kStreamPath;
  const std::string allowed = stream ? "GET, OPTIONS" : "POST, OPTIONS";
  if (exchange.method() == "OPTIONS") {
    guards_.preflight(exchange, allowed);
    return;
  }
  if (!guards_.admit(exchange)) return;
  if (stream && exchange.method() == "GET") {
    openStream(exchange);
  } else if (!stream && exchange.method() == "POST") {
    postMessage(exchange);
  } else {
    exchange.setHeader("Allow", allowed);
    exchange.respondJson(405, transportError(codes::kServerError, "Method Not Allowed"));
  }
}

void LegacySseEndpoint::openStream(Exchange& exchange) {
  if (!acceptsEventStream(exchange.header("Accept").value_or("text/event-stream"))) {
    exchange.respondJson(406, transportError(codes::kServerError,
                                             "Not Acceptable: Accept must list text/event-stream"));
    return;
  }
  std::optional<mcp::Principal> principal = mcp::Principal{};
  if (gate_ != nullptr && !(principal = gate_->admit(exchange))) return;
  auto session = hub_.full() ? nullptr : sessions_.create(*principal);
  if (!session) {
    exchange.respondJson(503, transportError(codes::kServerError, "Too many sessions or streams; try again later"));
    return;
  }
  auto stream = std::make_shared<EventStream>(hub_, common::randomHex(8), EventStreamOptions{});
  session->setNotificationStream(stream);
  session->setAttachment(std::make_shared<StreamCloser>(stream));
  std::string head;
  Channel channel = exchange.detach(200, "text/event-stream", head);
  std::weak_ptr<EventStream> weak = stream;
  mcp::SessionStore& sessions = sessions_;
  const std::string id = session->id();
  const StreamHub::Id sink = hub_.open(channel, std::move(head), exchange.http11(),
                                       [weak, &sessions, id](StreamHub::Id sinkId) {
                                         if (auto s = weak.lock()) s->sinkClosed(sinkId);
                                         // On this transport the stream is the session.
                                         sessions.remove(id);
                                       });
  if (sink == 0) {
    sessions_.remove(id);
    refuseStream(channel);
    return;
  }
  stream->attach(sink, std::nullopt);
  stream->sendRaw(sseEvent(std::string(kMessagePath) + "?sessionId=" + id, {}, "endpoint"));
}

void LegacySseEndpoint::postMessage(Exchange& exchange) {
  if (!isJsonContentType(exchange.header("Content-Type").value_or(""))) {
    exchange.respondJson(415, transportError(codes::kServerError,
                                             "Unsupported Media Type: Content-Type must be application/json"));
    return;
  }
  std::optional<mcp::Principal> principal = mcp::Principal{};
  if (gate_ != nullptr && !(principal = gate_->admit(exchange))) return;
  const auto sessionId = exchange.query("sessionId");
  if (!sessionId) {
    exchange.respondJson(400, transportError(codes::kServerError, "Bad Request: sessionId is required"));
    return;
  }
  auto session = sessions_.find(*sessionId);
  // Only sessions opened by GET /sse (a Streamable HTTP session's GET stream
  // must never carry responses), and only for whoever opened them.
  const bool ours = session && std::dynamic_pointer_cast<StreamCloser>(session->attachment()) &&
                    session->principal().subject == principal->subject &&
                    session->principal().clientId == principal->clientId;
  auto stream = ours ? session->notificationStream() : nullptr;
  if (!stream) {
    exchange.respondJson(404, transportError(-32001, "Session not found"));
    return;
  }
  auto text = exchange.readBody();
  if (!text) return;
  jsonrpc::Body body;
  try {
    body = jsonrpc::parseBody(*text);
  } catch (const jsonrpc::RpcError& e) {
    exchange.respondJson(400, transportError(e.code(), e.what()));
    return;
  }
  if (gate_ != nullptr) {
    std::vector<const Message*> all;
    std::vector<std::string> policyScopes;
    for (const auto& m : body.messages) {
      all.push_back(&m);
      if (m.isRequest()) {
        for (auto& s : dispatcher_.stepUpScopes(m, *principal)) policyScopes.push_back(std::move(s));
      }
    }
    if (!gate_->permits(exchange, *principal, all, policyScopes)) return;
  }
  // Accepted now; the answers travel on the stream. The work below keeps
  // this thread, so the connection is closed: a client that sends its
  // answer to a server request over a reused connection would otherwise
  // wait for a thread that is waiting for that very answer.
  exchange.closeAfterResponse();
  exchange.respond(202, "text/plain", "Accepted");
  session->touch();
  for (const auto& m : body.messages) {
    mcp::RequestScope scope;
    scope.era = mcp::Era::Legacy;
    scope.version = session->negotiated() ? session->version() : "2024-11-05";
    scope.session = session;
    scope.clientCapabilities = session->clientCapabilities();
    scope.clientInfo = session->clientInfo();
    scope.logLevel = session->logLevel();
    scope.principal = *principal;
    scope.stream = stream;
    if (m.isResponse()) {
      session->resolveReply(m);
    } else if (m.isNotification()) {
      dispatcher_.notify(m, scope);
    } else if (m.isRequest()) {
      const std::string key = jsonrpc::idKey(m.id);
      scope.cancellation = session->track(key);
      mcp::Reply reply = dispatcher_.handle(m, scope);
      session->untrack(key);
      if (reply.kind != mcp::Reply::Kind::None) stream->send(reply.body);
    } else {
      stream->send(jsonrpc::errorResponse(m.id, codes::kInvalidRequest, "Invalid Request: " + m.problem));
    }
  }
}

}  // namespace portcullis::transport
