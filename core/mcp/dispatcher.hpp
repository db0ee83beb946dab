#pragma once
// The protocol engine: one JSON-RPC request in, one response out, for every
// generation. The transport decides the era and supplies a RequestScope; the
// dispatcher routes to the catalog's providers and shapes the result for the
// client's generation, bridging the two ways a server asks the client for
// input (server-to-client requests and input_required results).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/jsonrpc/message.hpp"
#include "core/mcp/access.hpp"
#include "core/mcp/catalog.hpp"
#include "core/mcp/change_feed.hpp"
#include "core/mcp/request_state.hpp"
#include "core/mcp/session.hpp"
#include "core/mcp/tasks.hpp"
#include "core/mcp/versions.hpp"

namespace portcullis::mcp {

struct DispatcherOptions {
  std::string serverName = "portcullis";
  std::string serverVersion = "0.0.0";
  std::string instructions;
  std::chrono::milliseconds listTtl{60'000};
  size_t pageSize = 1000;
  bool validateArguments = true;
  std::chrono::milliseconds clientRequestTimeout{60'000};
  int maxInputRounds = 8;
  // Null: plugins cannot get identity assertions (sign-in is off).
  const IdentityAsserter* identityAsserter = nullptr;
};

// Everything the dispatcher needs to know about one request beyond its body.
struct RequestScope {
  Era era = Era::Legacy;
  std::string version;
  std::shared_ptr<Session> session;  // legacy only
  json::ObjectPtr clientCapabilities;
  json::ObjectPtr clientInfo;
  // Modern: the per-request level; absent means no log notifications.
  // Legacy: the session's level; absent means every level.
  std::optional<LogLevel> logLevel;
  Principal principal;
  // Where notifications and server-to-client requests related to this
  // request go. May be null when the client cannot receive them.
  std::shared_ptr<Outbound> stream;
  std::shared_ptr<Cancellation> cancellation;
  // Set while a call runs as a task: questions to the client park the task.
  std::shared_ptr<Task> task;
};

struct Reply {
  enum class Kind { Result, Error, None };
  Kind kind = Kind::Result;
  std::string body;  // the serialised JSON-RPC response
  int errorCode = 0;
  std::shared_ptr<Session> session;  // initialize: the session it created
};

// The _meta fields of a 2026-07-28 request.
struct ModernMeta {
  std::string version;
  json::ObjectPtr clientCapabilities;
  json::ObjectPtr clientInfo;
  std::optional<LogLevel> logLevel;
};

// Reads the request's _meta. Throws RpcError(kInvalidParams) when a required
// field is missing or malformed; the version is not checked here.
ModernMeta readModernMeta(const json::ObjectPtr& params);

// An input_required interim result (multi round-trip requests).
bool isInterim(const Outcome& outcome);

class Dispatcher {
 public:
  // tasks may be null: the tasks extension is then not offered.
  Dispatcher(Catalog& catalog, SessionStore& sessions, ChangeFeed& feed, DispatcherOptions options,
             TaskStore* tasks = nullptr);

  Reply handle(const jsonrpc::Message& request, RequestScope& scope);
  // notifications/initialized, notifications/cancelled, ...
  void notify(const jsonrpc::Message& notification, RequestScope& scope);

  // Whether a modern client may call this method (2026-07-28 removed
  // initialize, ping, logging/setLevel and resources/(un)subscribe).
  static bool isModernMethod(const std::string& method);
  static bool isRemovedInModern(const std::string& method);

  // subscriptions/listen: the filter the server honours, or throws RpcError.
  ListenFilter acceptListen(const json::ObjectPtr& params) const;
  json::ObjectPtr listenAcknowledgement(const ListenFilter& filter, const json::Value& id) const;

  // The parameters of a tool that 2026-07-28 clients mirror into headers.
  std::vector<HeaderParam> headerParams(const std::string& tool);

  // Who may use what, and where decisions are recorded; both may be null
  // (everything allowed, nothing recorded). Set before serving.
  void setAccessControl(const AccessPolicy* policy, AuditSink* audit);
  void setIdentityAsserter(const IdentityAsserter* asserter) { options_.identityAsserter = asserter; }
  AccessGate& access() { return *access_; }
  // The scopes a request needs beyond the token's for a primitive the
  // account may use (step-up); empty when none are missing. The transport
  // answers 403 for every request this names scopes for, so the refusal is
  // recorded in the audit log here.
  std::vector<std::string> stepUpScopes(const jsonrpc::Message& request, const Principal& principal);
  // Whether the principal may read a resource URI now (the filter of
  // resources/updated); URIs nobody lists pass.
  bool mayRead(const Principal& principal, const std::string& uri);
  // How many entries of a list the principal can see.
  size_t visibleCount(const Principal& principal, ListKind kind);

  const DispatcherOptions& options() const { return options_; }
  ChangeFeed& feed() { return feed_; }

 private:
  Reply dispatch(const jsonrpc::Message& request, RequestScope& scope);
  Reply initialize(const jsonrpc::Message& request, RequestScope& scope);
  Reply discover(const jsonrpc::Message& request, RequestScope& scope);
  Reply listPrimitives(ListKind kind, const jsonrpc::Message& request, RequestScope& scope);
  Reply callTool(const jsonrpc::Message& request, RequestScope& scope);
  Reply callAllowedTool(const CatalogEntry& tool, const std::string& name, const jsonrpc::Message& request,
                        RequestScope& scope);
  Reply readResource(const jsonrpc::Message& request, RequestScope& scope);
  Reply getPrompt(const jsonrpc::Message& request, RequestScope& scope);
  Reply complete(const jsonrpc::Message& request, RequestScope& scope);
  Reply subscribe(const jsonrpc::Message& request, RequestScope& scope, bool on);
  Reply setLogLevel(const jsonrpc::Message& request, RequestScope& scope);
  Reply invoke(const std::shared_ptr<PrimitiveProvider>& provider, const std::string& method,
               json::ObjectPtr params, const jsonrpc::Message& request, RequestScope& scope,
               bool cacheable);
  // Calls the provider, bridging input requests for the client's generation.
  Outcome execute(const std::shared_ptr<PrimitiveProvider>& provider, const std::string& method,
                  json::ObjectPtr params, const jsonrpc::Message& request, RequestScope& scope);
  Reply finish(const jsonrpc::Message& request, const RequestScope& scope, Outcome outcome,
               bool cacheable) const;
  Reply callAsTask(const CatalogEntry& tool, const jsonrpc::Message& request, RequestScope& scope);
  Reply taskMethod(const jsonrpc::Message& request, RequestScope& scope);

  // Who serves a URI: a listed resource first, then a matching template.
  static std::pair<ListKind, const CatalogEntry*> resourceOwner(const CatalogView& view, const std::string& uri);
  // Whether the caller may use an entry of the current view; null entries
  // (nothing by that name) are refused like hidden ones.
  AccessDecision decide(const std::shared_ptr<const CatalogView>& view, ListKind kind, const CatalogEntry* entry,
                        const RequestScope& scope);
  // Records the decision about a use of a primitive, with how it ended.
  void audit(const jsonrpc::Message& request, const Principal& principal, ListKind kind, const std::string& name,
             const CatalogEntry* entry, const AccessDecision& decision, const Reply* reply,
             std::chrono::steady_clock::time_point start) const;
  // The refusal of a primitive the caller may not use: hidden ones get the
  // same answer as unknown ones, so a refusal does not reveal existence.
  Reply refuse(const jsonrpc::Message& request, const RequestScope& scope, const AccessDecision& decision,
               Reply notFound) const;

  Reply result(const jsonrpc::Message& request, const RequestScope& scope, json::ObjectPtr result,
               bool cacheable) const;
  Reply error(const jsonrpc::Message& request, int code, const std::string& message,
              const json::Value& data = {}) const;
  json::ObjectPtr capabilities(Era era) const;
  std::string modernSuffix(bool cacheable, bool personal) const;

  Catalog& catalog_;
  SessionStore& sessions_;
  ChangeFeed& feed_;
  DispatcherOptions options_;
  TaskStore* tasks_;
  RequestStateSealer sealer_;
  std::unique_ptr<AccessGate> access_ = std::make_unique<AccessGate>(nullptr);
  AuditSink* audit_ = nullptr;
  std::string serverInfoJson_;
};

}  // namespace portcullis::mcp
