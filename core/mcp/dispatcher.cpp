#include "core/mcp/dispatcher.hpp"

#include <set>
#include <tuple>

#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "core/mcp/call_context.hpp"

namespace portcullis::mcp {

using jsonrpc::Message;
namespace codes = jsonrpc::codes;

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  static const std::pair<const char*, LogLevel> kLevels[] = {
      {"debug", LogLevel::Debug},         {"info", LogLevel::Info},
      {"notice", LogLevel::Notice},       {"warning", LogLevel::Warning},
      {"error", LogLevel::Error},         {"critical", LogLevel::Critical},
      {"alert", LogLevel::Alert},         {"emergency", LogLevel::Emergency}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) return level;
  }
  return std::nullopt;
}

const char* logLevelName(LogLevel level) {
  static const char* kNames[] = {"debug", "info",     "notice", "warning",
                                 "error", "critical", "alert",  "emergency"};
  return kNames[static_cast<int>(level)];
}

ModernMeta readModernMeta(const json::ObjectPtr& params) {
  auto meta = json::getObject(params, "_meta");
  if (!meta) throw jsonrpc::RpcError(codes::kInvalidParams, "Invalid params: missing _meta");
  ModernMeta out;
  auto version = json::getString(meta, meta::kProtocolVersion);
  if (!version || version->empty()) {
    throw jsonrpc::RpcError(codes::kInvalidParams, std::string("Invalid params: _meta lacks ") +
                                                       meta::kProtocolVersion);
  }
  out.version = *version;
  out.clientCapabilities = json::getObject(meta, meta::kClientCapabilities);
  if (!out.clientCapabilities) {
    throw jsonrpc::RpcError(codes::kInvalidParams, std::string("Invalid params: _meta lacks ") +
                                                       meta::kClientCapabilities);
  }
  out.clientInfo = json::getObject(meta, meta::kClientInfo);
  if (meta->has(meta::kLogLevel)) {
    auto level = json::getString(meta, meta::kLogLevel);
    out.logLevel = level ? parseLogLevel(*level) : std::nullopt;
    if (!out.logLevel) {
      throw jsonrpc::RpcError(codes::kInvalidParams, std::string("Invalid params: ") +
                                                         meta::kLogLevel + " is not a log level");
    }
  }
  return out;
}

namespace {

const char* listField(ListKind kind) {
  switch (kind) {
    case ListKind::Tools:
      return "tools";
    case ListKind::Resources:
      return "resources";
    case ListKind::ResourceTemplates:
      return "resourceTemplates";
    case ListKind::Prompts:
      return "prompts";
  }
  return "items";
}

std::optional<size_t> decodeCursor(const std::string& cursor) {
  auto decoded = common::base64UrlDecode(cursor);
  if (!decoded || !common::startsWith(*decoded, "o:")) return std::nullopt;
  try {
    size_t used = 0;
    const unsigned long long offset = std::stoull(decoded->substr(2), &used);
    if (used != decoded->size() - 2) return std::nullopt;
    return static_cast<size_t>(offset);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string encodeCursor(size_t offset) {
  return common::base64UrlEncode("o:" + std::to_string(offset));
}

json::ObjectPtr objectOf(const std::string& key, json::Value value) {
  json::ObjectPtr o = json::makeObject();
  o->set(key, std::move(value));
  return o;
}

// Text of the first few schema problems, for an isError tool result.
std::string describeIssues(const std::vector<common::SchemaIssue>& issues) {
  std::string text = "Invalid arguments:";
  for (const auto& issue : issues) {
    text += "\n- " + (issue.path.empty() ? std::string("arguments") : issue.path) + ": " +
            issue.message;
  }
  return text;
}

}  // namespace

Dispatcher::Dispatcher(Catalog& catalog, SessionStore& sessions, ChangeFeed& feed,
                       DispatcherOptions options, TaskStore* tasks)
    : catalog_(catalog), sessions_(sessions), feed_(feed), options_(std::move(options)), tasks_(tasks) {
  json::ObjectPtr info = json::makeObject();
  info->set("name", options_.serverName);
  info->set("version", options_.serverVersion);
  serverInfoJson_ = json::stringify(info);
}

std::vector<HeaderParam> Dispatcher::headerParams(const std::string& tool) {
  auto view = catalog_.view();
  const CatalogEntry* entry = view->tool(tool);
  return entry ? entry->headerParams : std::vector<HeaderParam>{};
}

void Dispatcher::setAccessControl(const AccessPolicy* policy, AuditSink* audit) {
  access_ = std::make_unique<AccessGate>(policy);
  audit_ = audit;
  if (access_->enabled()) {
    feed_.setUpdateFilter([this](const Principal& principal, const std::string& uri) { return mayRead(principal, uri); });
    feed_.setVisibilityFilter([this](const Principal& principal, ListKind kind, const CatalogEntry& entry) {
      return access_->decide(principal, kind, entry).access != Access::Hidden;
    });
  } else {
    feed_.setUpdateFilter(nullptr);
    feed_.setVisibilityFilter(nullptr);
  }
}

bool Dispatcher::mayRead(const Principal& principal, const std::string& uri) {
  auto view = catalog_.view();
  const auto [kind, owner] = resourceOwner(*view, uri);
  // A URI nobody lists has no rule to check: its updates come from a plugin
  // that chose to announce them.
  if (owner == nullptr || !access_->enabled()) return true;
  return access_->catalogFor(principal, view)->decision(kind, *owner).access == Access::Allowed;
}

AccessDecision Dispatcher::decide(const std::shared_ptr<const CatalogView>& view, ListKind kind,
                                  const CatalogEntry* entry, const RequestScope& scope) {
  if (entry == nullptr) return {Access::Hidden, "(not found)", {}};
  if (!access_->enabled()) return {Access::Allowed, {}, {}};
  return access_->catalogFor(scope.principal, view)->decision(kind, *entry);
}

namespace {
const char* auditKind(ListKind kind) {
  switch (kind) {
    case ListKind::Tools:
      return "tool";
    case ListKind::Resources:
      return "resource";
    case ListKind::ResourceTemplates:
      return "template";
    case ListKind::Prompts:
      return "prompt";
  }
  return "tool";
}
}  // namespace

void Dispatcher::audit(const Message& request, const Principal& principal, ListKind kind, const std::string& name,
                       const CatalogEntry* entry, const AccessDecision& decision, const Reply* reply,
                       std::chrono::steady_clock::time_point start) const {
  if (audit_ == nullptr) return;
  AuditRecord r;
  r.at = std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  r.subject = principal.subject;
  r.username = principal.username;
  r.clientId = principal.clientId;
  r.apiTokenId = principal.apiTokenId;
  r.method = request.method;
  r.kind = auditKind(kind);
  r.name = name;
  if (entry != nullptr) r.plugin = entry->provider->name();
  r.decision = decision.access == Access::Allowed  ? "allow"
               : decision.access == Access::StepUp ? "step-up"
                                                    : "deny";
  r.rule = decision.rule;
  if (reply != nullptr) {
    r.outcome = reply->kind == Reply::Kind::Error  ? "error"
                : reply->kind == Reply::Kind::None ? "cancelled"
                                                   : "ok";
  }
  r.latencyUs =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  audit_->record(std::move(r));
}

Reply Dispatcher::refuse(const Message& request, const RequestScope& scope, const AccessDecision& decision,
                         Reply notFound) const {
  if (decision.access != Access::StepUp) return notFound;
  // Reached only where the transport could not answer 403 (a batch): the
  // account may use it, so saying so reveals nothing.
  std::string needed;
  for (const auto& s : decision.scopes) needed += (needed.empty() ? "" : " ") + s;
  return error(request, codes::kInvalidParams, "Forbidden: this request needs the scope " + needed,
               objectOf("scope", needed));
}

std::pair<ListKind, const CatalogEntry*> Dispatcher::resourceOwner(const CatalogView& view, const std::string& uri) {
  if (const CatalogEntry* resource = view.resource(uri)) return {ListKind::Resources, resource};
  return {ListKind::ResourceTemplates, view.templateFor(uri)};
}

std::vector<std::string> Dispatcher::stepUpScopes(const Message& request, const Principal& principal) {
  if (!access_->enabled() || !request.params) return {};
  const auto start = std::chrono::steady_clock::now();
  auto view = catalog_.view();
  const CatalogEntry* entry = nullptr;
  ListKind kind = ListKind::Tools;
  std::string name;
  if (request.method == "tools/call") {
    name = json::getString(request.params, "name").value_or("");
    entry = view->tool(name);
  } else if (request.method == "prompts/get") {
    kind = ListKind::Prompts;
    name = json::getString(request.params, "name").value_or("");
    entry = view->prompt(name);
  } else if (request.method == "resources/read" || request.method == "resources/subscribe") {
    name = json::getString(request.params, "uri").value_or("");
    std::tie(kind, entry) = resourceOwner(*view, name);
  }
  if (entry == nullptr) return {};
  const AccessDecision& d = access_->catalogFor(principal, view)->decision(kind, *entry);
  if (d.access != Access::StepUp) return {};
  audit(request, principal, kind, name, entry, d, nullptr, start);
  return d.scopes;
}

size_t Dispatcher::visibleCount(const Principal& principal, ListKind kind) {
  auto view = catalog_.view();
  if (!access_->enabled()) return view->entries(kind).size();
  return access_->catalogFor(principal, view)->visible(kind).size();
}

bool Dispatcher::isModernMethod(const std::string& method) {
  static const std::set<std::string> kMethods{
      "server/discover", "tools/list",    "tools/call",          "resources/list",
      "resources/read",  "resources/templates/list", "prompts/list", "prompts/get",
      "completion/complete", "subscriptions/listen", "tasks/get", "tasks/update", "tasks/cancel"};
  return kMethods.count(method) != 0;
}

bool Dispatcher::isRemovedInModern(const std::string& method) {
  static const std::set<std::string> kRemoved{"initialize", "ping", "logging/setLevel",
                                              "resources/subscribe", "resources/unsubscribe"};
  return kRemoved.count(method) != 0;
}

json::ObjectPtr Dispatcher::capabilities(Era era) const {
  json::ObjectPtr caps = json::makeObject();
  caps->set("tools", objectOf("listChanged", true));
  json::ObjectPtr resources = json::makeObject();
  resources->set("subscribe", true);
  resources->set("listChanged", true);
  caps->set("resources", resources);
  caps->set("prompts", objectOf("listChanged", true));
  caps->set("completions", json::makeObject());
  if (era == Era::Legacy) caps->set("logging", json::makeObject());
  if (era == Era::Modern && tasks_ != nullptr) {
    json::ObjectPtr extensions = json::makeObject();
    extensions->set(kTasksExtension, json::makeObject());
    caps->set("extensions", extensions);
  }
  return caps;
}

std::string Dispatcher::modernSuffix(bool cacheable, bool personal) const {
  std::string out = R"(,"resultType":"complete")";
  if (cacheable) {
    // What a signed-in caller sees depends on who they are.
    out += R"(,"ttlMs":)" + std::to_string(options_.listTtl.count()) +
           (personal ? R"(,"cacheScope":"private")" : R"(,"cacheScope":"public")");
  }
  out += R"(,"_meta":{")";
  out += meta::kServerInfo;
  out += R"(":)" + serverInfoJson_ + "}";
  return out;
}

Reply Dispatcher::error(const Message& request, int code, const std::string& message,
                        const json::Value& data) const {
  Reply reply;
  reply.kind = Reply::Kind::Error;
  reply.errorCode = code;
  reply.body = jsonrpc::errorResponse(request.id, code, message, data);
  return reply;
}

Reply Dispatcher::result(const Message& request, const RequestScope& scope,
                         json::ObjectPtr result, bool cacheable) const {
  if (!result) result = json::makeObject();
  if (scope.era == Era::Modern) {
    if (!result->has("resultType")) result->set("resultType", std::string("complete"));
    const bool interim = json::getString(result, "resultType") != std::optional<std::string>("complete");
    if (cacheable && !interim) {
      // Resource contents are the plugin's to describe; without a hint they
      // are fresh only now and for this caller.
      if (!result->has("ttlMs")) result->set("ttlMs", static_cast<int64_t>(0));
      if (!result->has("cacheScope")) result->set("cacheScope", std::string("private"));
    }
    json::ObjectPtr metaObject = json::getObject(result, "_meta");
    if (!metaObject) {
      metaObject = json::makeObject();
      result->set("_meta", metaObject);
    }
    metaObject->set(meta::kServerInfo, json::parse(serverInfoJson_));
  } else if (json::getString(result, "resultType") == std::optional<std::string>("complete")) {
    result->remove("resultType");
  }
  Reply reply;
  reply.body = jsonrpc::response(request.id, json::stringify(result));
  return reply;
}

Reply Dispatcher::handle(const Message& request, RequestScope& scope) {
  try {
    return dispatch(request, scope);
  } catch (const jsonrpc::RpcError& e) {
    return error(request, e.code(), e.what(), e.data());
  } catch (const std::exception& e) {
    common::logger("mcp").error("%s failed: %s", request.method, std::string(e.what()));
    return error(request, codes::kInternalError, "Internal error");
  }
}

Reply Dispatcher::dispatch(const Message& request, RequestScope& scope) {
  const std::string& m = request.method;
  if (scope.era == Era::Modern) {
    if (!isModernMethod(m)) return error(request, codes::kMethodNotFound, "Method not found: " + m);
    if (m == "server/discover") return discover(request, scope);
    if (common::startsWith(m, "tasks/")) return taskMethod(request, scope);
    if (m == "subscriptions/listen") {
      return error(request, codes::kInvalidRequest, "subscriptions/listen needs a streaming transport");
    }
  } else {
    if (m == "initialize") return initialize(request, scope);
    if (m == "ping") return result(request, scope, json::makeObject(), false);
    if (m == "logging/setLevel") return setLogLevel(request, scope);
    if (m == "resources/subscribe") return subscribe(request, scope, true);
    if (m == "resources/unsubscribe") return subscribe(request, scope, false);
  }
  if (m == "tools/list") return listPrimitives(ListKind::Tools, request, scope);
  if (m == "resources/list") return listPrimitives(ListKind::Resources, request, scope);
  if (m == "resources/templates/list") return listPrimitives(ListKind::ResourceTemplates, request, scope);
  if (m == "prompts/list") return listPrimitives(ListKind::Prompts, request, scope);
  if (m == "tools/call") return callTool(request, scope);
  if (m == "resources/read") return readResource(request, scope);
  if (m == "prompts/get") return getPrompt(request, scope);
  if (m == "completion/complete") return complete(request, scope);
  return error(request, codes::kMethodNotFound, "Method not found: " + m);
}

Reply Dispatcher::initialize(const Message& request, RequestScope& scope) {
  // The legacy SSE transport opens its session before initialize; Streamable
  // HTTP creates it here.
  if (scope.session && scope.session->negotiated()) {
    return error(request, codes::kInvalidRequest, "Invalid Request: the session is already initialized");
  }
  auto requested = json::getString(request.params, "protocolVersion");
  if (!requested) {
    return error(request, codes::kInvalidParams, "Invalid params: protocolVersion is required");
  }
  auto session = scope.session ? scope.session : sessions_.create(scope.principal);
  if (!session) return error(request, codes::kServerError, "Too many sessions; try again later");
  const std::string version = negotiateLegacy(*requested);
  session->negotiate(version, json::getObject(request.params, "capabilities"),
                     json::getObject(request.params, "clientInfo"));

  json::ObjectPtr out = json::makeObject();
  out->set("protocolVersion", version);
  out->set("capabilities", capabilities(Era::Legacy));
  json::ObjectPtr info = json::parseObject(serverInfoJson_);
  info->set("title", std::string("Portcullis"));
  out->set("serverInfo", info);
  if (!options_.instructions.empty()) out->set("instructions", options_.instructions);
  Reply reply = result(request, scope, out, false);
  if (!scope.session) reply.session = session;
  return reply;
}

Reply Dispatcher::discover(const Message& request, RequestScope& scope) {
  json::ObjectPtr out = json::makeObject();
  json::ArrayPtr versions = json::makeArray();
  for (const auto& v : modernVersions()) versions->add(v);
  out->set("supportedVersions", versions);
  out->set("capabilities", capabilities(Era::Modern));
  if (!options_.instructions.empty()) out->set("instructions", options_.instructions);
  out->set("ttlMs", static_cast<int64_t>(options_.listTtl.count()));
  out->set("cacheScope", std::string("public"));
  return result(request, scope, out, true);
}

Reply Dispatcher::setLogLevel(const Message& request, RequestScope& scope) {
  auto text = json::getString(request.params, "level");
  auto level = text ? parseLogLevel(*text) : std::nullopt;
  if (!level) return error(request, codes::kInvalidParams, "Invalid params: unknown log level");
  if (scope.session) scope.session->setLogLevel(*level);
  return result(request, scope, json::makeObject(), false);
}

Reply Dispatcher::subscribe(const Message& request, RequestScope& scope, bool on) {
  auto uri = json::getString(request.params, "uri");
  if (!uri || uri->empty()) return error(request, codes::kInvalidParams, "Invalid params: uri is required");
  auto view = catalog_.view();
  const auto [kind, owner] = resourceOwner(*view, *uri);
  if (scope.session && !on) scope.session->unsubscribe(*uri);
  // A URI nobody serves may be subscribed to (it may appear later). One the
  // caller may not read is answered exactly like that, but nothing is
  // registered and the plugin never hears of it; one the account may read
  // with more scopes gets the step-up answer.
  const auto start = std::chrono::steady_clock::now();
  const AccessDecision decision = owner != nullptr ? decide(view, kind, owner, scope) : AccessDecision{};
  if (owner != nullptr && decision.access != Access::Allowed) {
    if (!on) return result(request, scope, json::makeObject(), false);
    audit(request, scope.principal, kind, *uri, owner, decision, nullptr, start);
    return refuse(request, scope, decision, result(request, scope, json::makeObject(), false));
  }
  if (scope.session && on) scope.session->subscribe(*uri);
  if (owner == nullptr) return result(request, scope, json::makeObject(), false);
  // The owning provider hears of it too, so it can start or stop watching.
  InputReplay replay;
  RequestCallContext context(scope, request, options_, replay);
  owner->provider->invoke(request.method, request.params, context);
  Reply reply = result(request, scope, json::makeObject(), false);
  if (on) audit(request, scope.principal, kind, *uri, owner, decision, &reply, start);
  return reply;
}

Reply Dispatcher::listPrimitives(ListKind kind, const Message& request, RequestScope& scope) {
  auto view = catalog_.view();
  const auto& entries = view->entries(kind);
  // The caller's share of the list; cursors count positions in it.
  std::shared_ptr<const PrincipalCatalog> mine;
  if (access_->enabled()) mine = access_->catalogFor(scope.principal, view);
  const size_t count = mine ? mine->visible(kind).size() : entries.size();
  size_t offset = 0;
  if (request.params->has("cursor")) {
    auto cursor = json::getString(request.params, "cursor");
    auto decoded = cursor ? decodeCursor(*cursor) : std::nullopt;
    if (!decoded || *decoded > count) {
      return error(request, codes::kInvalidParams, "Invalid params: unknown cursor");
    }
    offset = *decoded;
  }
  const size_t end = std::min(count, offset + options_.pageSize);
  std::string body = "{\"";
  body += listField(kind);
  body += "\":[";
  for (size_t i = offset; i < end; ++i) {
    if (i > offset) body += ',';
    body += entries[mine ? mine->visible(kind)[i] : i].definitionJson;
  }
  body += ']';
  if (end < count) body += ",\"nextCursor\":\"" + encodeCursor(end) + "\"";
  if (scope.era == Era::Modern) body += modernSuffix(true, scope.principal.authenticated);
  body += '}';
  Reply reply;
  reply.body = jsonrpc::response(request.id, body);
  return reply;
}

Reply Dispatcher::callTool(const Message& request, RequestScope& scope) {
  auto name = json::getString(request.params, "name");
  if (!name) return error(request, codes::kInvalidParams, "Invalid params: name is required");
  const auto start = std::chrono::steady_clock::now();
  auto view = catalog_.view();
  const CatalogEntry* tool = view->tool(*name);
  const AccessDecision decision = decide(view, ListKind::Tools, tool, scope);
  if (decision.access != Access::Allowed) {
    audit(request, scope.principal, ListKind::Tools, *name, tool, decision, nullptr, start);
    return refuse(request, scope, decision, error(request, codes::kInvalidParams, "Unknown tool: " + *name));
  }
  Reply reply = callAllowedTool(*tool, *name, request, scope);
  audit(request, scope.principal, ListKind::Tools, *name, tool, decision, &reply, start);
  return reply;
}

Reply Dispatcher::callAllowedTool(const CatalogEntry& entry, const std::string& name, const Message& request,
                                  RequestScope& scope) {
  const CatalogEntry* tool = &entry;
  json::ObjectPtr arguments = json::makeObject();
  if (request.params->has("arguments") && !json::isNull(request.params->get("arguments"))) {
    arguments = json::getObject(request.params, "arguments");
    if (!arguments) {
      return error(request, codes::kInvalidParams, "Invalid params: arguments must be an object");
    }
  }
  if (options_.validateArguments && tool->inputSchema) {
    auto issues = tool->inputSchema->validate(arguments, "", 8);
    if (!issues.empty()) {
      json::ObjectPtr out = json::makeObject();
      json::ArrayPtr content = json::makeArray();
      json::ObjectPtr text = json::makeObject();
      text->set("type", std::string("text"));
      text->set("text", describeIssues(issues));
      content->add(text);
      out->set("content", content);
      out->set("isError", true);
      return result(request, scope, out, false);
    }
  }
  if (scope.era == Era::Modern && tasks_ != nullptr) {
    const std::string& support = tool->taskSupport;
    const bool clientTasks = static_cast<bool>(
        json::getObject(json::getObject(scope.clientCapabilities, "extensions"), kTasksExtension));
    if (support == "required" && !clientTasks) {
      json::ObjectPtr extensions = json::makeObject();
      extensions->set(kTasksExtension, json::makeObject());
      json::ObjectPtr required = json::makeObject();
      required->set("extensions", extensions);
      return error(request, codes::kMissingClientCapability,
                   "Missing required client capability: the tool " + name + " runs only as a task",
                   objectOf("requiredCapabilities", required));
    }
    if ((support == "optional" || support == "required") && clientTasks) {
      return callAsTask(*tool, request, scope);
    }
  }
  return invoke(tool->provider, request.method, request.params, request, scope, false);
}

Reply Dispatcher::readResource(const Message& request, RequestScope& scope) {
  auto uri = json::getString(request.params, "uri");
  if (!uri) return error(request, codes::kInvalidParams, "Invalid params: uri is required");
  const auto start = std::chrono::steady_clock::now();
  auto view = catalog_.view();
  const auto [kind, owner] = resourceOwner(*view, *uri);
  const AccessDecision decision = decide(view, kind, owner, scope);
  if (decision.access != Access::Allowed) {
    audit(request, scope.principal, kind, *uri, owner, decision, nullptr, start);
    const int code = scope.era == Era::Modern ? codes::kInvalidParams : codes::kResourceNotFound;
    return refuse(request, scope, decision, error(request, code, "Resource not found", objectOf("uri", *uri)));
  }
  Reply reply = invoke(owner->provider, request.method, request.params, request, scope, true);
  audit(request, scope.principal, kind, *uri, owner, decision, &reply, start);
  return reply;
}

Reply Dispatcher::getPrompt(const Message& request, RequestScope& scope) {
  auto name = json::getString(request.params, "name");
  if (!name) return error(request, codes::kInvalidParams, "Invalid params: name is required");
  const auto start = std::chrono::steady_clock::now();
  auto view = catalog_.view();
  const CatalogEntry* prompt = view->prompt(*name);
  const AccessDecision decision = decide(view, ListKind::Prompts, prompt, scope);
  if (decision.access != Access::Allowed) {
    audit(request, scope.principal, ListKind::Prompts, *name, prompt, decision, nullptr, start);
    return refuse(request, scope, decision, error(request, codes::kInvalidParams, "Unknown prompt: " + *name));
  }
  if (request.params->has("arguments") && !json::getObject(request.params, "arguments") &&
      !json::isNull(request.params->get("arguments"))) {
    return error(request, codes::kInvalidParams, "Invalid params: arguments must be an object");
  }
  Reply reply = invoke(prompt->provider, request.method, request.params, request, scope, false);
  audit(request, scope.principal, ListKind::Prompts, *name, prompt, decision, &reply, start);
  return reply;
}

Reply Dispatcher::complete(const Message& request, RequestScope& scope) {
  auto ref = json::getObject(request.params, "ref");
  auto argument = json::getObject(request.params, "argument");
  if (!ref || !argument || !json::getString(argument, "name") ||
      !json::getString(argument, "value")) {
    return error(request, codes::kInvalidParams,
                 "Invalid params: ref and argument {name, value} are required");
  }
  const auto start = std::chrono::steady_clock::now();
  auto view = catalog_.view();
  const std::string type = json::getString(ref, "type").value_or("");
  const CatalogEntry* owner = nullptr;
  ListKind kind = ListKind::Prompts;
  std::string name;
  if (type == "ref/prompt") {
    name = json::getString(ref, "name").value_or("");
    owner = view->prompt(name);
  } else if (type == "ref/resource") {
    name = json::getString(ref, "uri").value_or("");
    kind = ListKind::Resources;
    owner = view->resource(name);
    if (owner == nullptr) {
      kind = ListKind::ResourceTemplates;
      for (const auto& t : view->templates) {
        if (owner == nullptr && t.key == name) owner = &t;
      }
      if (owner == nullptr) owner = view->templateFor(name);
    }
  } else {
    return error(request, codes::kInvalidParams, "Invalid params: unknown ref type");
  }
  const AccessDecision decision = decide(view, kind, owner, scope);
  if (decision.access != Access::Allowed) {
    audit(request, scope.principal, kind, name, owner, decision, nullptr, start);
    return refuse(request, scope, decision,
                  error(request, codes::kInvalidParams,
                        kind == ListKind::Prompts ? "Unknown prompt" : "Unknown resource"));
  }
  Reply reply = invoke(owner->provider, request.method, request.params, request, scope, false);
  audit(request, scope.principal, kind, name, owner, decision, &reply, start);
  return reply;
}

bool isInterim(const Outcome& outcome) {
  return outcome.status == Outcome::Status::Ok && outcome.result &&
         json::getString(outcome.result, "resultType") == std::optional<std::string>("input_required");
}

Reply Dispatcher::invoke(const std::shared_ptr<PrimitiveProvider>& provider,
                         const std::string& method, json::ObjectPtr params,
                         const Message& request, RequestScope& scope, bool cacheable) {
  return finish(request, scope, execute(provider, method, std::move(params), request, scope), cacheable);
}

Reply Dispatcher::finish(const Message& request, const RequestScope& scope, Outcome outcome,
                         bool cacheable) const {
  switch (outcome.status) {
    case Outcome::Status::Ok:
      return result(request, scope, outcome.result, cacheable);
    case Outcome::Status::Cancelled:
      return Reply{Reply::Kind::None, {}, 0, {}};
    case Outcome::Status::Error: {
      int code = outcome.errorCode;
      if (code == codes::kResourceNotFound && scope.era == Era::Modern) code = codes::kInvalidParams;
      return error(request, code, outcome.errorMessage, outcome.errorData);
    }
    case Outcome::Status::InputRequired:
      break;
  }
  return error(request, codes::kInternalError, "Internal error");
}

Outcome Dispatcher::execute(const std::shared_ptr<PrimitiveProvider>& provider,
                            const std::string& method, json::ObjectPtr params,
                            const Message& request, RequestScope& scope) {
  if (scope.era == Era::Modern) {
    // Multi round-trip retries: inputResponses maps each key the server asked
    // for to the client's result object; requestState is opaque text.
    if (params->has("inputResponses")) {
      auto responses = json::getObject(params, "inputResponses");
      if (!responses) return Outcome::error(codes::kInvalidParams, "Invalid params: inputResponses must be an object");
      std::vector<std::string> keys;
      responses->getNames(keys);
      for (const auto& key : keys) {
        if (!json::isObject(responses->get(key))) {
          return Outcome::error(codes::kInvalidParams, "Invalid params: inputResponses." + key + " must be an object");
        }
      }
    }
    if (params->has("requestState") && !json::getString(params, "requestState")) {
      return Outcome::error(codes::kInvalidParams, "Invalid params: requestState must be a string");
    }
  }
  InputReplay replay;
  std::string boundTo = method + " " + json::getString(params, "name").value_or(
                                           json::getString(params, "uri").value_or(""));
  if (scope.era == Era::Modern && !scope.task) {
    // Answers to questions the core asked on earlier rounds: the sealed
    // requestState holds those of older rounds, inputResponses the latest.
    auto state = json::getString(params, "requestState");
    if (state && RequestStateSealer::looksSealed(*state)) {
      json::ObjectPtr opened = sealer_.open(*state);
      if (!opened || json::getString(opened, "for") != std::optional<std::string>(boundTo)) {
        return Outcome::error(codes::kInvalidParams, "Invalid params: requestState is not valid");
      }
      params = json::clone(params);
      params->remove("requestState");
      if (auto answers = json::getObject(opened, "answers")) replay.answers = answers;
      if (auto responses = json::getObject(params, "inputResponses")) {
        std::vector<std::string> names;
        responses->getNames(names);
        for (const auto& key : names) replay.answers->set(key, responses->get(key));
        params->remove("inputResponses");
      }
    }
  }

  RequestCallContext context(scope, request, options_, replay);
  Outcome outcome;
  for (int round = 0;; ++round) {
    outcome = provider->invoke(method, params, context);
    if (replay.questions->size() > 0 || outcome.status == Outcome::Status::InputRequired) {
      if (scope.era != Era::Modern || replay.questions->size() == 0) {
        return Outcome::error(codes::kInternalError, "the plugin asked for input it cannot get");
      }
      json::ObjectPtr sealed = json::makeObject();
      sealed->set("for", boundTo);
      sealed->set("answers", replay.answers);
      json::ObjectPtr interim = json::makeObject();
      interim->set("resultType", std::string("input_required"));
      interim->set("inputRequests", replay.questions);
      interim->set("requestState", sealer_.seal(sealed, std::chrono::seconds(3600)));
      return Outcome::ok(interim);
    }
    // A provider written for 2026-07-28 answered input_required. A legacy
    // client gets the questions as server-to-client requests and the
    // provider is called again with the answers. (Modern clients answer on
    // a retry; tasks park in callAsTask.)
    if (!isInterim(outcome) || scope.era == Era::Modern) break;
    if (round + 1 >= options_.maxInputRounds) {
      return Outcome::error(codes::kInternalError, "too many rounds of input requests");
    }
    auto questions = json::getObject(outcome.result, "inputRequests");
    if (!questions) return Outcome::error(codes::kInternalError, "input_required without inputRequests");
    json::ObjectPtr answers = json::makeObject();
    for (auto& [key, reply] : context.clientRequests(questions)) {
      if (reply.status == CallContext::ClientReply::Status::Cancelled) {
        return Outcome{Outcome::Status::Cancelled, {}, 0, {}, {}};
      }
      if (reply.status != CallContext::ClientReply::Status::Ok) {
        const std::string why = reply.error ? json::getString(reply.error, "message").value_or("") : "";
        const int code = reply.error ? static_cast<int>(json::getInt(reply.error, "code").value_or(codes::kInternalError))
                                     : codes::kInternalError;
        return Outcome::error(code, "the client did not answer " + key + (why.empty() ? "" : ": " + why));
      }
      answers->set(key, reply.result);
    }
    params = json::clone(params);
    params->set("inputResponses", answers);
    if (auto state = json::getString(outcome.result, "requestState")) {
      params->set("requestState", *state);
    } else {
      params->remove("requestState");
    }
  }
  return outcome;
}

void Dispatcher::notify(const Message& notification, RequestScope& scope) {
  const std::string& m = notification.method;
  if (m == "notifications/initialized") {
    if (scope.session) scope.session->markInitialized();
  } else if (m == "notifications/cancelled") {
    if (scope.session && notification.params->has("requestId")) {
      scope.session->cancel(jsonrpc::idKey(notification.params->get("requestId")));
    }
  }
  // notifications/roots/list_changed and unknown notifications need no action.
}

ListenFilter Dispatcher::acceptListen(const json::ObjectPtr& params) const {
  ListenFilter filter;
  auto wanted = json::getObject(params, "notifications");
  if (params->has("notifications") && !wanted) {
    throw jsonrpc::RpcError(codes::kInvalidParams, "Invalid params: notifications must be an object");
  }
  if (!wanted) return filter;
  filter.toolsListChanged = json::getBool(wanted, "toolsListChanged").value_or(false);
  filter.promptsListChanged = json::getBool(wanted, "promptsListChanged").value_or(false);
  filter.resourcesListChanged = json::getBool(wanted, "resourcesListChanged").value_or(false);
  if (wanted->has("resourceSubscriptions")) {
    auto uris = json::getArray(wanted, "resourceSubscriptions");
    if (!uris) {
      throw jsonrpc::RpcError(codes::kInvalidParams,
                              "Invalid params: resourceSubscriptions must be an array of URIs");
    }
    for (const auto& uri : *uris) {
      if (!json::isString(uri)) {
        throw jsonrpc::RpcError(codes::kInvalidParams,
                                "Invalid params: resourceSubscriptions must be an array of URIs");
      }
      filter.resourceSubscriptions.insert(uri.extract<std::string>());
    }
  }
  return filter;
}

json::ObjectPtr Dispatcher::listenAcknowledgement(const ListenFilter& filter,
                                                  const json::Value& id) const {
  json::ObjectPtr params = json::makeObject();
  json::ObjectPtr metaObject = json::makeObject();
  metaObject->set(meta::kSubscriptionId, id);
  params->set("_meta", metaObject);
  json::ObjectPtr honoured = json::makeObject();
  if (filter.toolsListChanged) honoured->set("toolsListChanged", true);
  if (filter.promptsListChanged) honoured->set("promptsListChanged", true);
  if (filter.resourcesListChanged) honoured->set("resourcesListChanged", true);
  if (!filter.resourceSubscriptions.empty()) {
    json::ArrayPtr uris = json::makeArray();
    for (const auto& uri : filter.resourceSubscriptions) uris->add(uri);
    honoured->set("resourceSubscriptions", uris);
  }
  params->set("notifications", honoured);
  return params;
}

}  // namespace portcullis::mcp
