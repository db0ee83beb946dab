#pragma once
// Streamable HTTP at the MCP endpoint, for every generation on one path:
// 2026-07-28 stateless requests (per-request _meta, Mcp-Method/Mcp-Name,
// subscriptions/listen) and the session-based 2025 revisions (initialize,
// Mcp-Session-Id, the GET stream, DELETE, resumable SSE, batches for
// 2025-03-26). docs/protocol.md describes what each generation gets.

#include <chrono>
#include <memory>
#include <string>

#include "core/jsonrpc/message.hpp"
#include "core/mcp/dispatcher.hpp"
#include "core/mcp/session.hpp"
#include "core/transport/bearer_gate.hpp"
#include "core/transport/event_stream.hpp"
#include "core/transport/guards.hpp"
#include "core/transport/http_server.hpp"
#include "core/transport/stream_hub.hpp"

namespace portcullis::transport {

struct McpEndpointOptions {
  std::chrono::milliseconds retry{2000};
  size_t history = 256;
};

class McpEndpoint : public Handler {
 public:
  // Without a gate the endpoint is open and every caller is anonymous.
  McpEndpoint(mcp::Dispatcher& dispatcher, mcp::SessionStore& sessions, StreamHub& hub,
              const Guards& guards, McpEndpointOptions options, const BearerGate* gate = nullptr);

  void handle(Exchange& exchange) override;

 private:
  void post(Exchange& exchange);
  void get(Exchange& exchange);
  void remove(Exchange& exchange);

  void postModern(Exchange& exchange, const jsonrpc::Message& message,
                  const std::optional<std::string>& versionHeader, const mcp::Principal& principal);
  void postLegacy(Exchange& exchange, const jsonrpc::Body& body,
                  const std::optional<std::string>& versionHeader, const mcp::Principal& principal);
  void initialize(Exchange& exchange, const jsonrpc::Message& message, const mcp::Principal& principal);

  // The caller (anonymous when open), or nullopt after answering 401.
  std::optional<mcp::Principal> admit(Exchange& exchange) const;
  // The session, when it exists and belongs to the caller.
  std::shared_ptr<mcp::Session> sessionOf(const std::string& id, const mcp::Principal& principal) const;
  void listen(Exchange& exchange, const jsonrpc::Message& message, mcp::RequestScope& scope);

  std::shared_ptr<SessionStreams> streamsOf(const std::shared_ptr<mcp::Session>& session) const;

  mcp::Dispatcher& dispatcher_;
  mcp::SessionStore& sessions_;
  StreamHub& hub_;
  const Guards& guards_;
  McpEndpointOptions options_;
  const BearerGate* gate_;
};

}  // namespace portcullis::transport
