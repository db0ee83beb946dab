#pragma once
// What the protocol layer needs from whatever serves primitives: plugins (via
// plugin_host), the built-in tools, and later connectors. Declared here, by
// the consumer, so each side can be tested with fakes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/json.hpp"
#include "core/mcp/principal.hpp"

namespace portcullis::mcp {

namespace json = common::json;

enum class ListKind : uint32_t { Tools = 1, Resources = 2, ResourceTemplates = 4, Prompts = 8 };
// 0..3 in the order above, for arrays indexed by list.
constexpr size_t listIndex(ListKind kind) {
  return kind == ListKind::Tools ? 0 : kind == ListKind::Resources ? 1 : kind == ListKind::ResourceTemplates ? 2 : 3;
}
// Every list, in that order.
inline constexpr ListKind kListKinds[] = {ListKind::Tools, ListKind::Resources, ListKind::ResourceTemplates,
                                          ListKind::Prompts};

enum class LogLevel { Debug, Info, Notice, Warning, Error, Critical, Alert, Emergency };
std::optional<LogLevel> parseLogLevel(std::string_view text);
const char* logLevelName(LogLevel level);

// Services available to a provider while it handles one request.
class CallContext {
 public:
  struct ClientReply {
    enum class Status { Ok, Error, InputRequired, Cancelled };
    Status status = Status::Ok;
    json::Value result;     // Ok: the client's result object
    json::ObjectPtr error;  // Error: {code, message, data?}
  };

  virtual ~CallContext() = default;
  virtual void progress(double progress, std::optional<double> total, const std::string& message) = 0;
  virtual void log(LogLevel level, const std::string& logger, const json::Value& data) = 0;
  // A request to the client (sampling, elicitation, roots). Blocks.
  virtual ClientReply clientRequest(const std::string& method, const json::ObjectPtr& params) = 0;
  // Several requests at once ({key: {method, params}}); the replies come
  // back under the same keys. Blocks until all are answered.
  virtual std::vector<std::pair<std::string, ClientReply>> clientRequests(const json::ObjectPtr& requests) = 0;
  virtual bool cancelled() const = 0;
  // requestId, protocolVersion, clientInfo, clientCapabilities, principal.
  virtual json::ObjectPtr info() const = 0;
  // Who is calling; anonymous unless the context knows better.
  virtual const Principal& principal() const;
  // A signed, short-lived statement of who is calling, for a backend named
  // by `audience`. Throws std::runtime_error when none can be made.
  virtual std::string identityAssertion(const std::string& audience, std::chrono::milliseconds ttl);
  virtual void releaseStream() = 0;
};

// The answer of a provider to one request.
struct Outcome {
  enum class Status { Ok, Error, InputRequired, Cancelled };
  Status status = Status::Ok;
  json::ObjectPtr result;  // Ok
  int errorCode = 0;       // Error
  std::string errorMessage;
  json::Value errorData;

  static Outcome ok(json::ObjectPtr result) { return {Status::Ok, std::move(result), 0, {}, {}}; }
  static Outcome error(int code, std::string message, json::Value data = {}) {
    return {Status::Error, {}, code, std::move(message), std::move(data)};
  }
};

class PrimitiveProvider {
 public:
  virtual ~PrimitiveProvider() = default;
  virtual const std::string& name() const = 0;
  // The provider's definitions of one kind, as a JSON array. Throws on failure.
  virtual json::ArrayPtr list(ListKind kind) = 0;
  // tools/call, resources/read, prompts/get, completion/complete,
  // resources/subscribe, resources/unsubscribe or an extension method.
  virtual Outcome invoke(const std::string& method, const json::ObjectPtr& params,
                         CallContext& context) = 0;
  // How the provider's backend is doing ({"status": "up" | "degraded" |
  // "down", "detail"?}), or null when it reports nothing.
  virtual json::ObjectPtr health() { return nullptr; }
};

// Signs identity assertions; implemented by the app over the authorization
// server's keys.
class IdentityAsserter {
 public:
  virtual ~IdentityAsserter() = default;
  // Throws std::runtime_error when it cannot (an anonymous caller, say).
  virtual std::string assertIdentity(const Principal& principal, const std::string& audience,
                                     std::chrono::milliseconds ttl) const = 0;
};

// Where providers report changes; implemented by ChangeFeed.
class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  virtual void listChanged(const PrimitiveProvider& provider, uint32_t lists) = 0;
  virtual void resourceUpdated(const std::string& uri) = 0;
};

}  // namespace portcullis::mcp
