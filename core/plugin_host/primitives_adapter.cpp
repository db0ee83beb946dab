#include "core/plugin_host/primitives_adapter.hpp"

#include "core/common/json.hpp"
#include "core/common/log.hpp"
#include "core/jsonrpc/message.hpp"

// The opaque call handle of the ABI: the context of one request.
struct pc_call {
  portcullis::mcp::CallContext* context;
};

namespace portcullis::plugin_host {

namespace json = common::json;
using mcp::CallContext;
using mcp::Outcome;

namespace {

std::string text(pc_string s) { return s.data == nullptr ? std::string() : std::string(s.data, s.size); }

void appendTo(void* opaque, const char* data, size_t size) {
  if (data != nullptr && size > 0) static_cast<std::string*>(opaque)->append(data, size);
}

pc_buffer bufferFor(std::string& target) { return pc_buffer{&target, &appendTo}; }

PrimitivesAdapter* self(void* opaque) { return static_cast<PrimitivesAdapter*>(opaque); }

mcp::LogLevel levelOf(int32_t level) {
  if (level < PC_LOG_DEBUG) return mcp::LogLevel::Debug;
  if (level > PC_LOG_EMERGENCY) return mcp::LogLevel::Emergency;
  return static_cast<mcp::LogLevel>(level);
}

// --- pc_host functions --------------------------------------------------

void hostLog(void* opaque, int32_t level, pc_string message) {
  self(opaque)->hostLog(level, std::string_view(message.data, message.data ? message.size : 0));
}

void hostListChanged(void* opaque, uint32_t lists) { self(opaque)->hostListChanged(lists); }

void hostResourceUpdated(void* opaque, pc_string uri) { self(opaque)->hostResourceUpdated(text(uri)); }

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

void callReleaseStream(pc_call* call) {
  if (call == nullptr) return;
  try {
    call->context->releaseStream();
  } catch (...) {
  }
}

}  // namespace

PrimitivesAdapter::PrimitivesAdapter(std::string name, std::shared_ptr<const void> keepAlive,
                                     const pc_plugin* descriptor, mcp::ChangeSink* changes)
    : keepAlive_(std::move(keepAlive)), name_(std::move(name)), descriptor_(descriptor), changes_(changes) {
  host_.size = sizeof(pc_host);
  host_.opaque = this;
  host_.log = &plugin_host::hostLog;
  host_.notify_list_changed = &plugin_host::hostListChanged;
  host_.notify_resource_updated = &plugin_host::hostResourceUpdated;
  host_.call_progress = &callProgress;
  host_.call_log = &callLog;
  host_.call_client_request = &callClientRequest;
  host_.call_cancelled = &callCancelled;
  host_.call_info = &callInfo;
  host_.call_release_stream = &callReleaseStream;
  host_.call_client_requests = &callClientRequests;
}

std::shared_ptr<PrimitivesAdapter> PrimitivesAdapter::create(const std::string& name,
                                                             std::shared_ptr<const void> keepAlive,
                                                             const pc_plugin* descriptor,
                                                             const std::string& configJson,
                                                             mcp::ChangeSink* changes,
                                                             std::string& reason) {
  std::shared_ptr<PrimitivesAdapter> adapter(
      new PrimitivesAdapter(name, std::move(keepAlive), descriptor, changes));
  std::string error;
  pc_buffer errorBuffer = bufferFor(error);
  int32_t status = PC_ERROR;
  try {
    status = descriptor->create(&adapter->host_, pc_string{configJson.data(), configJson.size()},
                                &adapter->instance_, &errorBuffer);
  } catch (...) {
    error = "an exception escaped the plugin's create function";
    status = PC_ERROR;
  }
  if (status != PC_OK || adapter->instance_ == nullptr) {
    adapter->instance_ = nullptr;
    reason = error.empty() ? "create returned status " + std::to_string(status) : error;
    return nullptr;
  }
  return adapter;
}

PrimitivesAdapter::~PrimitivesAdapter() {
  if (instance_ != nullptr) {
    try {
      descriptor_->destroy(instance_);
    } catch (...) {
    }
  }
}

void PrimitivesAdapter::hostLog(int32_t level, std::string_view message) const {
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

void PrimitivesAdapter::hostListChanged(uint32_t lists) {
  if (changes_ != nullptr) changes_->listChanged(*this, lists & 0xF);
}

void PrimitivesAdapter::hostResourceUpdated(const std::string& uri) {
  if (changes_ != nullptr) changes_->resourceUpdated(uri);
}

json::ArrayPtr PrimitivesAdapter::list(mcp::ListKind kind) {
  std::string out;
  pc_buffer buffer = bufferFor(out);
  int32_t status = PC_ERROR;
  try {
    status = descriptor_->primitives->list(instance_, static_cast<uint32_t>(kind), &buffer);
  } catch (...) {
    throw std::runtime_error("an exception escaped the plugin's list function");
  }
  if (status != PC_OK) throw std::runtime_error("list failed: " + out);
  json::ArrayPtr array = json::asArray(json::parse(out));
  if (!array) throw std::runtime_error("list did not return a JSON array");
  return array;
}

Outcome PrimitivesAdapter::invoke(const std::string& method, const json::ObjectPtr& params,
                                  CallContext& context) {
  const std::string paramsJson = json::stringify(params);
  pc_call call{&context};
  std::string out;
  pc_buffer buffer = bufferFor(out);
  int32_t status = PC_ERROR;
  try {
    status = descriptor_->primitives->invoke(instance_, &call, pc_string{method.data(), method.size()},
                                             pc_string{paramsJson.data(), paramsJson.size()}, &buffer);
  } catch (...) {
    return Outcome::error(jsonrpc::codes::kInternalError, "the plugin failed");
  }
  switch (status) {
    case PC_OK: {
      try {
        json::ObjectPtr result = json::parseObject(out);
        return Outcome::ok(result);
      } catch (const json::ParseError& e) {
        common::logger("plugin." + name_).error("%s returned invalid JSON: %s", method, std::string(e.what()));
        return Outcome::error(jsonrpc::codes::kInternalError, "the plugin returned an invalid result");
      }
    }
    case PC_INPUT_REQUIRED:
      return Outcome{Outcome::Status::InputRequired, {}, 0, {}, {}};
    case PC_CANCELLED:
      return Outcome{Outcome::Status::Cancelled, {}, 0, {}, {}};
    default:
      break;
  }
  try {
    json::ObjectPtr error = json::parseObject(out);
    const int64_t code = json::getInt(error, "code").value_or(jsonrpc::codes::kInternalError);
    return Outcome::error(static_cast<int>(code), json::getString(error, "message").value_or("plugin error"),
                          error->has("data") ? error->get("data") : json::Value());
  } catch (const json::ParseError&) {
    return Outcome::error(jsonrpc::codes::kInternalError, "the plugin failed");
  }
}

}  // namespace portcullis::plugin_host
