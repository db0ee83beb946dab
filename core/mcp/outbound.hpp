#pragma once
// A channel to the client for messages that are not the response itself:
// notifications and server-to-client requests. The transport implements it
// (an SSE stream, the legacy /sse stream, ...).

#include <string>

namespace portcullis::mcp {

class Outbound {
 public:
  virtual ~Outbound() = default;
  // Sends one serialised JSON-RPC message. Returns false when it cannot be
  // delivered (the client went away, the stream was dropped).
  virtual bool send(const std::string& message) = 0;
  // Closes the client's connection but keeps the logical stream so that the
  // client can reconnect with Last-Event-ID. No-op where that is not possible.
  virtual void release() {}
  // Whether a client request sent here can be answered (the stream is open).
  virtual bool connected() const = 0;
};

}  // namespace portcullis::mcp
