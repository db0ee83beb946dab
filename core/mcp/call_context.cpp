#include "core/mcp/call_context.hpp"

#include "core/mcp/versions.hpp"

namespace portcullis::mcp {

namespace {
constexpr const char* kReplayPrefix = "portcullis/";
}

RequestCallContext::RequestCallContext(RequestScope& scope, const jsonrpc::Message& request,
                                       const DispatcherOptions& options, InputReplay& replay)
    : scope_(scope), request_(request), options_(options), replay_(replay) {
  if (auto meta = json::getObject(request.params, "_meta"); meta && meta->has("progressToken")) {
    const json::Value& token = meta->get("progressToken");
    if (json::isString(token) || json::isInteger(token)) progressToken_ = token;
  }
}

void RequestCallContext::progress(double progress, std::optional<double> total,
                                  const std::string& message) {
  if (scope_.task) {
    // A task has no stream: its progress shows in its status message.
    std::string text = message.empty() ? "Working" : message;
    text += " (" + json::stringify(json::Value(progress));
    if (total) text += "/" + json::stringify(json::Value(*total));
    scope_.task->setStatusMessage(text + ")");
    return;
  }
  if (progressToken_.isEmpty() || !scope_.stream) return;
  json::ObjectPtr params = json::makeObject();
  params->set("progressToken", progressToken_);
  params->set("progress", progress);
  if (total) params->set("total", *total);
  if (!message.empty()) params->set("message", message);
  scope_.stream->send(jsonrpc::notification("notifications/progress", params));
}

void RequestCallContext::log(LogLevel level, const std::string& logger, const json::Value& data) {
  if (!scope_.stream) return;
  if (scope_.era == Era::Modern) {
    if (!scope_.logLevel || level < *scope_.logLevel) return;
  } else {
    std::optional<LogLevel> threshold =
        scope_.session ? scope_.session->logLevel() : scope_.logLevel;
    if (threshold && level < *threshold) return;
  }
  json::ObjectPtr params = json::makeObject();
  params->set("level", std::string(logLevelName(level)));
  if (!logger.empty()) params->set("logger", logger);
  params->set("data", data);
  scope_.stream->send(jsonrpc::notification("notifications/message", params));
}

bool RequestCallContext::clientSupports(const json::ObjectPtr& capabilities,
                                        const std::string& method,
                                        const json::ObjectPtr& params) {
  if (method == "ping") return true;
  if (method == "sampling/createMessage") {
    auto sampling = json::getObject(capabilities, "sampling");
    if (!sampling) return false;
    const bool usesTools = params && (params->has("tools") || params->has("toolChoice"));
    return !usesTools || json::getObject(sampling, "tools");
  }
  if (method == "elicitation/create") {
    auto elicitation = json::getObject(capabilities, "elicitation");
    if (!elicitation) return false;
    if (json::getString(params, "mode") == std::optional<std::string>("url")) {
      return static_cast<bool>(json::getObject(elicitation, "url"));
    }
    return true;
  }
  if (method == "roots/list") return static_cast<bool>(json::getObject(capabilities, "roots"));
  return false;
}

CallContext::ClientReply RequestCallContext::clientRequest(const std::string& method,
                                                           const json::ObjectPtr& params) {
  if (cancelled()) return {ClientReply::Status::Cancelled, {}, {}};
  if (!clientSupports(scope_.clientCapabilities, method, params)) {
    json::ObjectPtr error = json::makeObject();
    error->set("code", jsonrpc::codes::kMissingClientCapability);
    error->set("message", "the client does not support " + method);
    return {ClientReply::Status::Error, {}, error};
  }
  if (scope_.task) {
    json::ObjectPtr question = json::makeObject();
    question->set("method", method);
    question->set("params", params ? params : json::makeObject());
    return askThroughTask({{"portcullis/" + std::to_string(replay_.asked++), question}}).front().second;
  }
  return scope_.era == Era::Modern ? askByReplay(method, params) : askOverStream(method, params);
}

std::vector<std::pair<std::string, CallContext::ClientReply>> RequestCallContext::clientRequests(
    const json::ObjectPtr& requests) {
  std::vector<std::pair<std::string, ClientReply>> replies;
  std::vector<std::pair<std::string, json::ObjectPtr>> valid;
  std::vector<std::string> keys;
  if (requests) requests->getNames(keys);
  auto failure = [](int code, const std::string& message) {
    json::ObjectPtr error = json::makeObject();
    error->set("code", code);
    error->set("message", message);
    return ClientReply{ClientReply::Status::Error, {}, error};
  };
  for (const auto& key : keys) {
    auto question = json::getObject(requests, key);
    auto method = json::getString(question, "method");
    if (!question || !method) {
      replies.emplace_back(key, failure(jsonrpc::codes::kInvalidParams, "each request needs a method"));
      continue;
    }
    auto params = json::getObject(question, "params");
    if (!clientSupports(scope_.clientCapabilities, *method, params)) {
      replies.emplace_back(key, failure(jsonrpc::codes::kMissingClientCapability,
                                        "the client does not support " + *method));
      continue;
    }
    valid.emplace_back(key, question);
  }
  if (cancelled()) {
    for (const auto& [key, q] : valid) replies.emplace_back(key, ClientReply{ClientReply::Status::Cancelled, {}, {}});
    return replies;
  }
  if (scope_.task) {
    for (auto& reply : askThroughTask(valid)) replies.push_back(std::move(reply));
    return replies;
  }
  for (const auto& [key, question] : valid) {
    const std::string method = *json::getString(question, "method");
    auto params = json::getObject(question, "params");
    replies.emplace_back(key, scope_.era == Era::Modern ? askByReplay(method, params)
                                                        : askOverStream(method, params));
  }
  return replies;
}

std::vector<std::pair<std::string, CallContext::ClientReply>> RequestCallContext::askThroughTask(
    const std::vector<std::pair<std::string, json::ObjectPtr>>& questions) {
  // Keys are unique over the task's lifetime; map them back afterwards.
  json::ObjectPtr parked = json::makeObject();
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& [key, question] : questions) {
    const std::string taskKey = scope_.task->freshKey(key);
    parked->set(taskKey, question);
    keys.emplace_back(key, taskKey);
  }
  std::vector<std::pair<std::string, ClientReply>> replies;
  auto answers = scope_.task->ask(parked);
  for (const auto& [key, taskKey] : keys) {
    if (!answers) {
      replies.emplace_back(key, ClientReply{ClientReply::Status::Cancelled, {}, {}});
    } else {
      replies.emplace_back(key, ClientReply{ClientReply::Status::Ok, (*answers)->get(taskKey), {}});
    }
  }
  return replies;
}

CallContext::ClientReply RequestCallContext::askOverStream(const std::string& method,
                                                           const json::ObjectPtr& params) {
  auto fail = [](const std::string& message) {
    json::ObjectPtr error = json::makeObject();
    error->set("code", jsonrpc::codes::kInternalError);
    error->set("message", message);
    return ClientReply{ClientReply::Status::Error, {}, error};
  };
  auto session = scope_.session;
  std::shared_ptr<Outbound> stream = scope_.stream;
  if (!stream || !stream->connected()) stream = session ? session->notificationStream() : nullptr;
  if (!session || !stream || !stream->connected()) {
    return fail("the client has no open stream on which to receive " + method);
  }
  const int64_t id = session->nextRequestId();
  auto pending = session->expectReply(id);
  if (!stream->send(jsonrpc::request(json::Value(id), method, params ? params : json::makeObject()))) {
    session->forgetReply(id);
    return fail("the client's stream closed before " + method + " could be sent");
  }
  auto reply = pending->wait(options_.clientRequestTimeout, scope_.cancellation.get());
  session->forgetReply(id);
  if (!reply) {
    if (cancelled() || session->closed()) return {ClientReply::Status::Cancelled, {}, {}};
    return fail("the client did not answer " + method + " in time");
  }
  if (reply->error) return {ClientReply::Status::Error, {}, reply->error};
  return {ClientReply::Status::Ok, reply->result, {}};
}

CallContext::ClientReply RequestCallContext::askByReplay(const std::string& method,
                                                         const json::ObjectPtr& params) {
  const std::string key = kReplayPrefix + std::to_string(replay_.asked++);
  if (replay_.answers->has(key)) {
    return {ClientReply::Status::Ok, replay_.answers->get(key), {}};
  }
  json::ObjectPtr question = json::makeObject();
  question->set("method", method);
  question->set("params", params ? params : json::makeObject());
  replay_.questions->set(key, question);
  return {ClientReply::Status::InputRequired, {}, {}};
}

bool RequestCallContext::cancelled() const {
  return scope_.cancellation && scope_.cancellation->cancelled();
}

const Principal& RequestCallContext::principal() const { return scope_.principal; }

std::string RequestCallContext::identityAssertion(const std::string& audience, std::chrono::milliseconds ttl) {
  if (options_.identityAsserter == nullptr) return CallContext::identityAssertion(audience, ttl);
  return options_.identityAsserter->assertIdentity(scope_.principal, audience, ttl);
}

json::ObjectPtr RequestCallContext::info() const {
  json::ObjectPtr o = json::makeObject();
  o->set("requestId", request_.id);
  o->set("protocolVersion", scope_.version);
  o->set("clientInfo", scope_.clientInfo ? scope_.clientInfo : json::makeObject());
  o->set("clientCapabilities",
         scope_.clientCapabilities ? scope_.clientCapabilities : json::makeObject());
  o->set("principal", scope_.principal.toJson());
  if (scope_.session) o->set("sessionId", scope_.session->id());
  return o;
}

void RequestCallContext::releaseStream() {
  if (scope_.task) scope_.task->release();
  if (scope_.stream) scope_.stream->release();
}

}  // namespace portcullis::mcp
