#include "core/plugin_host/hosted_plugin.hpp"

#include <chrono>
#include <set>

#include "core/accounts/account_links.hpp"
#include "core/common/json.hpp"
#include "core/common/log.hpp"
#include "core/jsonrpc/message.hpp"

namespace portcullis::plugin_host {

namespace json = common::json;
using mcp::CallContext;

namespace {

std::string text(pc_string s) { return s.data == nullptr ? std::string() : std::string(s.data, s.size); }

void appendTo(void* opaque, const char* data, size_t size) {
  if (data != nullptr && size > 0) static_cast<std::string*>(opaque)->append(data, size);
}

HostedPlugin* self(void* opaque) { return static_cast<HostedPlugin*>(opaque); }

mcp::LogLevel levelOf(int32_t level) {
  if (level < PC_LOG_DEBUG) return mcp::LogLevel::Debug;
  if (level > PC_LOG_EMERGENCY) return mcp::LogLevel::Emergency;
  return static_cast<mcp::LogLevel>(level);
}

// --- plugin-wide services ------------------------------------------------

void hostLog(void* opaque, int32_t level, pc_string message) {
  self(opaque)->log(level, std::string_view(message.data, message.data ? message.size : 0));
}

void hostListChanged(void* opaque, uint32_t lists) {
  try {
    self(opaque)->listChanged(lists & 0xF);
  } catch (...) {
  }
}

void hostResourceUpdated(void* opaque, pc_string uri) {
  try {
    self(opaque)->resourceUpdated(text(uri));
  } catch (...) {
  }
}

int32_t storeGet(void* opaque, pc_string key, pc_buffer* value) {
  auto* store = self(opaque)->store();
  if (store == nullptr || key.size == 0) return PC_ERROR;
  try {
    auto found = store->get(text(key));
    if (!found) return PC_ERROR;
    if (value != nullptr && value->append != nullptr) value->append(value->opaque, found->data(), found->size());
    return PC_OK;
  } catch (const std::exception& e) {
    self(opaque)->log(PC_LOG_ERROR, std::string("store_get failed: ") + e.what());
    return PC_ERROR;
  }
}

int32_t storePut(void* opaque, pc_string key, pc_string value, int64_t ttlMs) {
  auto* store = self(opaque)->store();
  if (store == nullptr || key.size == 0 || key.size > 1024 || value.size > 1024 * 1024) return PC_ERROR;
  try {
    store->put(text(key), text(value), std::chrono::milliseconds(ttlMs));
    return PC_OK;
  } catch (const std::exception& e) {
    self(opaque)->log(PC_LOG_ERROR, std::string("store_put failed: ") + e.what());
    return PC_ERROR;
  }
}

int32_t storeDelete(void* opaque, pc_string key) {
  auto* store = self(opaque)->store();
  if (store == nullptr) return PC_ERROR;
  try {
    store->remove(text(key));
    return PC_OK;
  } catch (const std::exception&) {
    return PC_ERROR;
  }
}

// --- services bound to one call ------------------------------------------

int32_t callProgress(pc_call* call, double progress, double total, pc_string message) {
  if (call == nullptr) return PC_ERROR;
  try {
    if (call->context->cancelled()) return PC_CANCELLED;
    call->context->progress(progress, total < 0 ? std::nullopt : std::optional<double>(total),
                            text(message));
    return PC_OK;
  } catch (...) {
    return PC_ERROR;
  }
}

int32_t callLog(pc_call* call, int32_t level, pc_string logger, pc_string dataJson) {
  if (call == nullptr) return PC_ERROR;
  try {
    json::Value data = dataJson.size == 0 ? json::Value() : json::parse(text(dataJson));
    call->context->log(levelOf(level), text(logger), data);
    return PC_OK;
  } catch (...) {
    return PC_ERROR;
  }
}

int32_t callClientRequest(pc_call* call, pc_string method, pc_string paramsJson, pc_buffer* out) {
  if (call == nullptr) return PC_ERROR;
  auto fail = [out](int code, const std::string& message) {
    const std::string error = jsonrpc::errorResponse({}, code, message);
    // Only the error object: strip the envelope.
    json::ObjectPtr parsed = json::parseObject(error);
    const std::string body = json::stringify(json::getObject(parsed, "error"));
    if (out != nullptr && out->append != nullptr) out->append(out->opaque, body.data(), body.size());
    return static_cast<int32_t>(PC_ERROR);
  };
  try {
    json::ObjectPtr params = paramsJson.size == 0 ? json::makeObject() : json::parseObject(text(paramsJson));
    auto reply = call->context->clientRequest(text(method), params);
    switch (reply.status) {
      case CallContext::ClientReply::Status::Ok: {
        const std::string body = json::stringify(reply.result);
        if (out != nullptr && out->append != nullptr) out->append(out->opaque, body.data(), body.size());
        return PC_OK;
      }
      case CallContext::ClientReply::Status::InputRequired:
        return PC_INPUT_REQUIRED;
      case CallContext::ClientReply::Status::Cancelled:
        return PC_CANCELLED;
      case CallContext::ClientReply::Status::Error: {
        const std::string body = reply.error ? json::stringify(reply.error) : "{}";
        if (out != nullptr && out->append != nullptr) out->append(out->opaque, body.data(), body.size());
        return PC_ERROR;
      }
    }
  } catch (const json::ParseError& e) {
    return fail(jsonrpc::codes::kInvalidParams, std::string("params are not a JSON object: ") + e.what());
  } catch (const std::exception& e) {
    return fail(jsonrpc::codes::kInternalError, e.what());
  }
  return PC_ERROR;
}

int32_t callClientRequests(pc_call* call, pc_string requestsJson, pc_buffer* out) {
  if (call == nullptr) return PC_ERROR;
  auto write = [out](const std::string& body) {
    if (out != nullptr && out->append != nullptr) out->append(out->opaque, body.data(), body.size());
  };
  try {
    json::ObjectPtr requests = json::parseObject(text(requestsJson));
    json::ObjectPtr results = json::makeObject();
    bool inputRequired = false;
    for (auto& [key, reply] : call->context->clientRequests(requests)) {
      json::ObjectPtr entry = json::makeObject();
      switch (reply.status) {
        case CallContext::ClientReply::Status::Ok:
          entry->set("result", reply.result);
          break;
        case CallContext::ClientReply::Status::InputRequired:
          inputRequired = true;
          break;
        case CallContext::ClientReply::Status::Cancelled:
          return PC_CANCELLED;
        case CallContext::ClientReply::Status::Error:
          entry->set("error", reply.error ? reply.error : json::makeObject());
          break;
      }
      results->set(key, entry);
    }
    if (inputRequired) return PC_INPUT_REQUIRED;
    write(json::stringify(results));
    return PC_OK;
  } catch (const json::ParseError& e) {
    json::ObjectPtr error = json::makeObject();
    error->set("code", jsonrpc::codes::kInvalidParams);
    error->set("message", std::string("requests are not a JSON object: ") + e.what());
    write(json::stringify(error));
    return PC_ERROR;
  } catch (const std::exception& e) {
    return PC_ERROR;
  }
}

int32_t callCancelled(pc_call* call) {
  return call != nullptr && call->context->cancelled() ? 1 : 0;
}

void callInfo(pc_call* call, pc_buffer* out) {
  if (call == nullptr || out == nullptr || out->append == nullptr) return;
  try {
    const std::string body = json::stringify(call->context->info());
    out->append(out->opaque, body.data(), body.size());
  } catch (...) {
  }
}

int32_t callIdentityAssertion(pc_call* call, pc_string audience, int64_t ttlMs, pc_buffer* out) {
  if (call == nullptr) return PC_ERROR;
  std::string body;
  int32_t status = PC_OK;
  try {
    body = call->context->identityAssertion(text(audience), std::chrono::milliseconds(ttlMs));
  } catch (const std::exception& e) {
    body = e.what();
    status = PC_ERROR;
  }
  if (out != nullptr && out->append != nullptr) out->append(out->opaque, body.data(), body.size());
  return status;
}

void callReleaseStream(pc_call* call) {
  if (call == nullptr) return;
  try {
    call->context->releaseStream();
  } catch (...) {
  }
}

int32_t hostDeclareAccount(void* opaque, pc_string accountJson, pc_buffer* error) {
  std::string reason;
  int32_t status = PC_ERROR;
  try {
    status = self(opaque)->declareAccount(text(accountJson), reason);
  } catch (const std::exception& e) {
    reason = e.what();
  }
  if (status != PC_OK && error != nullptr && error->append != nullptr) error->append(error->opaque, reason.data(), reason.size());
  return status;
}

int32_t callAccountToken(void* opaque, pc_call* call, int32_t refresh, pc_buffer* out) {
  std::string body;
  int32_t status = PC_ERROR;
  try {
    status = self(opaque)->accountToken(call != nullptr ? call->context : nullptr, refresh != 0, body);
  } catch (const std::exception& e) {
    body = e.what();
  }
  if (out != nullptr && out->append != nullptr) out->append(out->opaque, body.data(), body.size());
  return status;
}

int32_t hostRecordEvent(void* opaque, pc_string eventJson) {
  try {
    return self(opaque)->recordEvent(text(eventJson)) ? PC_OK : PC_ERROR;
  } catch (...) {
    return PC_ERROR;
  }
}

}  // namespace

pc_buffer bufferFor(std::string& target) { return pc_buffer{&target, &appendTo}; }

HostedPlugin::HostedPlugin(std::string name, std::shared_ptr<const void> keepAlive, const pc_plugin* descriptor,
                           std::unique_ptr<storage::PluginStore> store)
    : keepAlive_(std::move(keepAlive)), descriptor_(descriptor), name_(std::move(name)), store_(std::move(store)) {
  host_.size = sizeof(pc_host);
  host_.opaque = this;
  host_.log = &hostLog;
  host_.notify_list_changed = &hostListChanged;
  host_.notify_resource_updated = &hostResourceUpdated;
  host_.call_progress = &callProgress;
  host_.call_log = &callLog;
  host_.call_client_request = &callClientRequest;
  host_.call_cancelled = &callCancelled;
  host_.call_info = &callInfo;
  host_.call_release_stream = &callReleaseStream;
  host_.call_client_requests = &callClientRequests;
  host_.store_get = &storeGet;
  host_.store_put = &storePut;
  host_.store_delete = &storeDelete;
  host_.call_identity_assertion = &callIdentityAssertion;
  host_.record_event = &hostRecordEvent;
  host_.declare_account = &hostDeclareAccount;
  host_.call_account_token = &callAccountToken;
}

bool HostedPlugin::recordEvent(std::string_view eventJson) {
  if (services_.audit == nullptr) return false;
  json::ObjectPtr event;
  try {
    event = json::asObject(json::parse(std::string(eventJson)));
  } catch (const std::exception&) {
  }
  static const std::set<std::string> kKinds{"tool", "resource", "template", "prompt"};
  const auto name = event ? json::getString(event, "event") : std::nullopt;
  const auto kind = event ? json::getString(event, "kind") : std::nullopt;
  const auto primitive = event ? json::getString(event, "name") : std::nullopt;
  if (!name || name->empty() || !kind || !kKinds.count(*kind) || !primitive) {
    log(PC_LOG_WARNING, "record_event: not an object with event, kind (tool, resource, template or prompt) and name");
    return false;
  }
  mcp::AuditRecord r;
  r.at = storage::nowMillis();
  r.subject = "plugin:" + name_;
  r.method = "plugin/event";
  r.kind = *kind;
  r.name = *primitive;
  r.plugin = name_;
  r.decision = *name;
  r.rule = json::getString(event, "detail").value_or("");
  r.outcome = json::getString(event, "outcome").value_or("");
  services_.audit->record(std::move(r));
  return true;
}

int32_t HostedPlugin::declareAccount(std::string_view accountJson, std::string& error) {
  if (services_.accounts == nullptr && !services_.checkAccountsOnly) {
    error = "linked accounts need sign-in (auth.enabled) and a database";
    return PC_ERROR;
  }
  json::ObjectPtr spec;
  try {
    spec = json::asObject(json::parse(std::string(accountJson)));
  } catch (const std::exception&) {
  }
  if (!spec) {
    error = "the account is not a JSON object";
    return PC_ERROR;
  }
  accounts::AccountDefinition definition;
  definition.name = name_;
  auto& p = definition.provider;
  const std::pair<const char*, std::string*> fields[] = {
      {"title", &definition.title},
      {"resource", &p.resource},
      {"issuer", &p.issuer},
      {"authorization_endpoint", &p.authorizationEndpoint},
      {"token_endpoint", &p.tokenEndpoint},
      {"revocation_endpoint", &p.revocationEndpoint},
      {"client_id", &p.clientId},
      {"client_secret", &p.clientSecret}};
  for (const auto& [field, target] : fields) {
    if (!spec->has(field)) continue;
    const auto value = json::getString(spec, field);
    if (!value) {
      error = std::string(field) + " must be a string";
      return PC_ERROR;
    }
    *target = *value;
  }
  if (spec->has("scopes")) {
    const auto scopes = json::getArray(spec, "scopes");
    if (!scopes) {
      error = "scopes must be an array of strings";
      return PC_ERROR;
    }
    for (size_t i = 0; i < scopes->size(); ++i) {
      if (!scopes->get(i).isString()) {
        error = "scopes must be an array of strings";
        return PC_ERROR;
      }
      p.scopes.push_back(scopes->getElement<std::string>(i));
    }
  }
  try {
    if (services_.accounts != nullptr) {
      services_.accounts->declare(std::move(definition));
    } else {
      accounts::AccountLinks::check(definition);
    }
  } catch (const std::exception& e) {
    error = e.what();
    return PC_ERROR;
  }
  return PC_OK;
}

int32_t HostedPlugin::accountToken(const mcp::CallContext* call, bool refresh, std::string& out) {
  if (services_.accounts == nullptr) {
    out = services_.checkAccountsOnly ? "users' linked accounts are not used while the plugin is only checked"
                                      : "linked accounts need sign-in";
    return PC_ERROR;
  }
  accounts::AccessToken token;
  if (call == nullptr) {
    token = services_.accounts->anyToken(name_, refresh);
  } else {
    const mcp::Principal& caller = call->principal();
    // A user signed in (through any client or an API token); a client acting
    // for itself has no account to link.
    if (!caller.authenticated || caller.username.empty()) {
      out = "only a signed-in user has linked accounts";
      return PC_ERROR;
    }
    token = services_.accounts->token(caller.subject, name_, refresh);
  }
  switch (token.status) {
    case accounts::AccessToken::Status::kOk:
      out = token.value;
      return PC_OK;
    case accounts::AccessToken::Status::kNotLinked:
      // A path alone without a caller: the connector may ask while the
      // server is still starting, before its address is known.
      out = (call != nullptr && services_.baseUrl ? services_.baseUrl() : std::string()) + "/accounts/link/" + name_;
      return PC_LINK_REQUIRED;
    case accounts::AccessToken::Status::kUnavailable:
      break;
  }
  out = token.error;
  return PC_ERROR;
}

void HostedPlugin::log(int32_t level, std::string_view message) const {
  auto& log = common::logger("plugin." + name_);
  const std::string text(message);
  switch (levelOf(level)) {
    case mcp::LogLevel::Debug:
      log.debug(text);
      break;
    case mcp::LogLevel::Info:
      log.information(text);
      break;
    case mcp::LogLevel::Notice:
      log.notice(text);
      break;
    case mcp::LogLevel::Warning:
      log.warning(text);
      break;
    case mcp::LogLevel::Error:
      log.error(text);
      break;
    default:
      log.critical(text);
  }
}

HostedPlugin::~HostedPlugin() {
  if (instance_ == nullptr) return;
  try {
    descriptor_->destroy(instance_);
  } catch (...) {  // nothing may cross the ABI; there is no one left to tell
  }
}

bool HostedPlugin::createInstance(const std::string& configJson, std::string& reason) {
  std::string error;
  pc_buffer errorBuffer = bufferFor(error);
  int32_t status = PC_ERROR;
  try {
    status = descriptor_->create(hostTable(), view(configJson), &instance_, &errorBuffer);
  } catch (...) {
    error = "an exception escaped the plugin's create function";
    status = PC_ERROR;
  }
  if (status != PC_OK || instance_ == nullptr) {
    instance_ = nullptr;
    reason = error.empty() ? "create returned status " + std::to_string(status) : error;
    return false;
  }
  return true;
}

}  // namespace portcullis::plugin_host
