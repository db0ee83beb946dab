#pragma once
// JSON-RPC 2.0 messages: strict parsing of what clients send and the
// serialisation of what the server sends back.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/common/json.hpp"

namespace portcullis::jsonrpc {

namespace json = common::json;

// Error codes: JSON-RPC's own and those MCP defines.
namespace codes {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// 2025-11-25 and earlier: resources/read of an unknown URI.
inline constexpr int kResourceNotFound = -32002;
// Implementation-defined transport errors (session missing, ...).
inline constexpr int kServerError = -32000;
// 2026-07-28.
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
inline constexpr int kUrlElicitationRequired = -32042;
}  // namespace codes

// An error that becomes a JSON-RPC error response.
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message, json::Value data = {})
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  int code() const { return code_; }
  const json::Value& data() const { return data_; }

 private:
  int code_;
  json::Value data_;
};

enum class Kind { Request, Notification, Response, Invalid };

struct Message {
  Kind kind = Kind::Invalid;
  json::Value id;  // string or integer; empty for notifications
  std::string method;
  json::ObjectPtr params;  // never null for requests and notifications
  // Responses only.
  json::Value result;
  json::ObjectPtr error;
  // Invalid only: why, for the error response.
  std::string problem;

  bool isRequest() const { return kind == Kind::Request; }
  bool isNotification() const { return kind == Kind::Notification; }
  bool isResponse() const { return kind == Kind::Response; }
};

struct Body {
  bool batch = false;
  std::vector<Message> messages;
};

// Parses a POST body: one message or, when batch is allowed by the caller, an
// array of them. Throws RpcError(kParseError) for text that is not JSON and
// RpcError(kInvalidRequest) for JSON that is not a message or an array.
// Individual invalid messages in a batch come back with Kind::Invalid.
Body parseBody(std::string_view text);

// Checks one decoded value; never throws.
Message toMessage(const json::Value& value);

// The id as a map key: "s:abc" or "n:42".
std::string idKey(const json::Value& id);

std::string response(const json::Value& id, const json::Value& result);
std::string response(const json::Value& id, const std::string& resultJson);
std::string errorResponse(const json::Value& id, int code, const std::string& message,
                          const json::Value& data = {});
std::string errorResponse(const json::Value& id, const RpcError& error);
std::string notification(const std::string& method, const json::ObjectPtr& params);
std::string request(const json::Value& id, const std::string& method, const json::ObjectPtr& params);

}  // namespace portcullis::jsonrpc
