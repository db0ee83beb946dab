#pragma once
// A connection to an upstream MCP server that moves JSON-RPC messages both
// ways. Implementations: stdio (a child process), Streamable HTTP and the
// legacy HTTP+SSE transport.

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include <portcullis/sdk/call.hpp>

namespace portcullis::mcp_upstream {

using Json = sdk::Json;
using Headers = std::map<std::string, std::string>;

// The upstream cannot be reached or broke the protocol.
class UpstreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The upstream answered 401 to a request carrying the caller's own
// credentials (a linked account's token): about that caller, not the
// upstream's health.
class CallerRefused : public UpstreamError {
 public:
  CallerRefused() : UpstreamError(kReason) {}
  // Also the failure reason of a request whose reply is read on another
  // thread: exchange() turns exactly this text back into CallerRefused.
  static constexpr const char* kReason = "the upstream refused the caller's credentials (HTTP 401)";
};

// Longest JSON-RPC message (a stdio line, an HTTP body, an SSE event).
inline constexpr size_t kMaxMessageBytes = 16 * 1024 * 1024;

class Transport {
 public:
  struct Handlers {
    // A message from the upstream; `related` is the id of the request whose
    // reply stream carried it.
    std::function<void(const Json& message, const std::optional<Json>& related)> inbound;
    // A request's reply could not be read (HTTP); the request has failed.
    std::function<void(const Json& id, const std::string& reason)> requestFailed;
    // The connection is gone (process exited, stream closed).
    std::function<void(const std::string& reason)> lost;
    std::function<void(sdk::LogLevel, const std::string&)> log;
    // The upstream let go of a request's reply stream and will answer on a
    // resumed one: the gateway may let go of its client too.
    std::function<void(const Json& id)> released;
  };

  virtual ~Transport() = default;
  // Connects (starts the process, opens the event stream). Throws UpstreamError.
  virtual void open(Handlers handlers) = 0;
  // Sends one message. A request's reply arrives through Handlers::inbound.
  // Throws UpstreamError when it cannot be sent.
  virtual void send(const Json& message, const Headers& extra = {}) = 0;
  virtual void close() = 0;
  // After the handshake: the version for the MCP-Protocol-Version header;
  // `stateless` (2026-07-28) means no session and no GET stream.
  virtual void setProtocolVersion(const std::string&, bool /*stateless*/) {}
  // Stops reading a request's reply where closing it is the cancellation
  // signal (2026-07-28 over HTTP); false when the transport cannot.
  virtual bool abortRequest(const Json& /*id*/) { return false; }
  virtual std::string describe() const = 0;
};

// Parses one message of upstream text; nullopt (and a reason) when it is not JSON.
inline std::optional<Json> parseMessage(const std::string& text, std::string& reason) {
  Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    reason = "not JSON: " + text.substr(0, 120);
    return std::nullopt;
  }
  return parsed;
}

}  // namespace portcullis::mcp_upstream
