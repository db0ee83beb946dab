#pragma once
// The HTTP+SSE transport of protocol 2024-11-05, for clients that predate
// Streamable HTTP: GET /sse opens the stream and announces the POST endpoint
// (/messages?sessionId=...); every response and notification then travels on
// that one stream.

#include "core/mcp/dispatcher.hpp"
#include "core/mcp/session.hpp"
#include "core/transport/bearer_gate.hpp"
#include "core/transport/guards.hpp"
#include "core/transport/http_server.hpp"
#include "core/transport/stream_hub.hpp"

namespace portcullis::transport {

class LegacySseEndpoint : public Handler {
 public:
  static constexpr const char* kStreamPath = "/sse";
  static constexpr const char* kMessagePath = "/messages";

  // Without a gate the endpoint is open and every caller is anonymous.
  LegacySseEndpoint(mcp::Dispatcher& dispatcher, mcp::SessionStore& sessions, StreamHub& hub,
                    const Guards& guards, const BearerGate* gate = nullptr);

  void handle(Exchange& exchange) override;

 private:
  void openStream(Exchange& exchange);
  void postMessage(Exchange& exchange);

  mcp::Dispatcher& dispatcher_;
  mcp::SessionStore& sessions_;
  StreamHub& hub_;
  const Guards& guards_;
  const BearerGate* gate_;
};

}  // namespace portcullis::transport
