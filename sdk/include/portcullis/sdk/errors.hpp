#pragma once
// Exceptions a plugin throws to shape what its client sees. The boundary in
// entry.hpp catches every exception, so a plugin never crashes the server.

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace portcullis::sdk {

using Json = nlohmann::json;

// JSON-RPC error codes a plugin may use.
namespace codes {
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// The host rewrites this to the code of the client's protocol generation.
inline constexpr int kResourceNotFound = -32002;
// The user must open a URL first (MCP 2025-11-25 URL-mode elicitation).
inline constexpr int kUrlElicitationRequired = -32042;
}  // namespace codes

// Becomes a JSON-RPC error response (unknown tool, bad params, ...).
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message, Json data = nullptr)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  int code() const { return code_; }
  const Json& data() const { return data_; }

 private:
  int code_;
  Json data_;
};

// Thrown inside a tool handler: becomes a result with isError: true, which the
// model can read and act on (MCP's "tool execution error").
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
// Unwinds a handler when the client must answer on a retry (multi round-trip
// requests). Deliberately not derived from std::exception so that a handler's
// `catch (const std::exception&)` does not swallow it.
struct InputRequiredSignal {};
// Unwinds a handler when the client cancelled the request.
struct CancelledSignal {};
}  // namespace detail

}  // namespace portcullis::sdk
