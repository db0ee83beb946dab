#include "core/jsonrpc/message.hpp"

namespace portcullis::jsonrpc {

namespace {

bool validId(const json::Value& id) { return json::isString(id) || json::isInteger(id); }

Message invalid(json::Value id, std::string problem) {
  Message m;
  m.kind = Kind::Invalid;
  if (validId(id)) m.id = std::move(id);
  m.problem = std::move(problem);
  return m;
}

void appendId(std::string& out, const json::Value& id) {
  if (json::isString(id)) {
    json::appendQuoted(out, id.extract<std::string>());
  } else if (json::isInteger(id)) {
    out += id.convert<std::string>();
  } else {
    out += "null";
  }
}

}  // namespace

Message toMessage(const json::Value& value) {
  json::ObjectPtr o = json::asObject(value);
  if (!o) return invalid({}, "a JSON-RPC message must be an object");
  const json::Value id = o->has("id") ? o->get("id") : json::Value();
  if (json::getString(o, "jsonrpc") != std::optional<std::string>("2.0")) {
    return invalid(id, "\"jsonrpc\" must be \"2.0\"");
  }
  if (o->has("method")) {
    Message m;
    auto method = json::getString(o, "method");
    if (!method || method->empty()) return invalid(id, "\"method\" must be a non-empty string");
    m.method = *method;
    if (o->has("params")) {
      m.params = json::asObject(o->get("params"));
      if (!m.params) return invalid(id, "\"params\" must be an object");
    } else {
      m.params = json::makeObject();
    }
    if (o->has("id")) {
      if (!validId(id)) return invalid({}, "\"id\" must be a string or an integer");
      m.kind = Kind::Request;
      m.id = id;
    } else {
      m.kind = Kind::Notification;
    }
    return m;
  }
  const bool hasResult = o->has("result");
  const bool hasError = o->has("error");
  if (hasResult == hasError) {
    return invalid(id, "a message needs \"method\", or exactly one of \"result\" and \"error\"");
  }
  Message m;
  m.kind = Kind::Response;
  m.id = id;
  if (!validId(id) && !(hasError && json::isNull(id))) {
    return invalid({}, "a response needs a string or integer \"id\"");
  }
  if (hasResult) {
    m.result = o->get("result");
  } else {
    m.error = json::asObject(o->get("error"));
    if (!m.error || !json::getInt(m.error, "code") || !json::getString(m.error, "message")) {
      return invalid(id, "\"error\" must be an object with an integer code and a message");
    }
  }
  return m;
}

Body parseBody(std::string_view text) {
  json::Value value;
  try {
    value = json::parse(text);
  } catch (const json::ParseError& e) {
    throw RpcError(codes::kParseError, std::string("Parse error: ") + e.what());
  }
  Body body;
  if (auto array = json::asArray(value)) {
    if (array->size() == 0) throw RpcError(codes::kInvalidRequest, "Invalid Request: empty batch");
    body.batch = true;
    for (const auto& item : *array) body.messages.push_back(toMessage(item));
    return body;
  }
  if (!json::isObject(value)) {
    throw RpcError(codes::kInvalidRequest, "Invalid Request: expected a JSON-RPC message");
  }
  body.messages.push_back(toMessage(value));
  return body;
}

std::string idKey(const json::Value& id) {
  if (json::isString(id)) return "s:" + id.extract<std::string>();
  if (json::isInteger(id)) return "n:" + id.convert<std::string>();
  return "null";
}

std::string response(const json::Value& id, const std::string& resultJson) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  appendId(out, id);
  out += R"(,"result":)";
  out += resultJson;
  out += '}';
  return out;
}

std::string response(const json::Value& id, const json::Value& result) {
  return response(id, json::stringify(result));
}

std::string errorResponse(const json::Value& id, int code, const std::string& message,
                          const json::Value& data) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  appendId(out, id);
  out += R"(,"error":{"code":)";
  out += std::to_string(code);
  out += R"(,"message":)";
  json::appendQuoted(out, message);
  if (!data.isEmpty()) {
    out += R"(,"data":)";
    out += json::stringify(data);
  }
  out += "}}";
  return out;
}

std::string errorResponse(const json::Value& id, const RpcError& error) {
  return errorResponse(id, error.code(), error.what(), error.data());
}

std::string notification(const std::string& method, const json::ObjectPtr& params) {
  std::string out = R"({"jsonrpc":"2.0","method":)";
  json::appendQuoted(out, method);
  if (params) {
    out += R"(,"params":)";
    out += json::stringify(params);
  }
  out += '}';
  return out;
}

std::string request(const json::Value& id, const std::string& method,
                    const json::ObjectPtr& params) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  appendId(out, id);
  out += R"(,"method":)";
  json::appendQuoted(out, method);
  if (params) {
    out += R"(,"params":)";
    out += json::stringify(params);
  }
  out += '}';
  return out;
}

}  // namespace portcullis::jsonrpc
