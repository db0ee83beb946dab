#include "connector_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <portcullis/sdk/text.hpp>

#include "request_mapping.hpp"

namespace portcullis::http {

namespace {

// A secret file bigger than this is certainly not a header value.
constexpr std::streamoff kMaxHeaderFileBytes = 64 * 1024;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

bool sendsBody(const std::string& method) { return method == "POST" || method == "PUT" || method == "PATCH"; }

}  // namespace

std::chrono::milliseconds parseDuration(const Json& value, const std::string& key) {
  if (value.is_number_integer() && value.get<long long>() > 0) return std::chrono::milliseconds(value.get<long long>());
  if (!value.is_string()) throw ConfigError(key + ": expected a duration such as \"5s\"");
  const std::string text = value.get<std::string>();
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  if (digits == 0 || digits > 9) throw ConfigError(key + ": \"" + text + "\" is not a duration such as \"5s\"");
  const long long amount = std::stoll(text.substr(0, digits));
  long long factor;
  if (unit == "ms") factor = 1;
  else if (unit == "s" || unit.empty()) factor = 1000;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else throw ConfigError(key + ": \"" + text + "\" has an unknown unit (ms, s, m, h or d)");
  if (amount == 0) throw ConfigError(key + ": must be more than zero");
  return std::chrono::milliseconds(amount * factor);
}

std::string resolveHeaderValue(const std::string& name, const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("env")) {
    const std::string variable = value["env"].get<std::string>();
    const char* found = std::getenv(variable.c_str());
    if (found == nullptr) {
      throw ConfigError("headers." + name + ": environment variable " + variable + " is not set");
    }
    return found;
  }
  if (value.is_object() && value.contains("file")) {
    const std::string path = value["file"].get<std::string>();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("headers." + name + ": cannot read " + path);
    in.seekg(0, std::ios::end);
    if (in.tellg() > kMaxHeaderFileBytes) throw ConfigError("headers." + name + ": " + path + " is too large");
    in.seekg(0);
    std::ostringstream text;
    text << in.rdbuf();
    std::string content = text.str();
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    return content;
  }
  throw ConfigError("headers." + name + ": expected a string, {env: NAME} or {file: PATH}");
}

std::vector<std::pair<std::string, std::string>> resolveHeaders(const Json& headers) {
  static const std::vector<std::string> kFraming{"host", "content-length", "transfer-encoding", "connection"};
  std::vector<std::pair<std::string, std::string>> out;
  if (!headers.is_object()) return out;
  for (const auto& [name, value] : headers.items()) {
    if (!isHeaderName(name)) throw ConfigError("headers: \"" + name + "\" is not a valid header name");
    if (std::find(kFraming.begin(), kFraming.end(), sdk::toLower(name)) != kFraming.end()) {
      throw ConfigError("headers." + name + ": this header is set by the connector itself");
    }
    std::string resolved = resolveHeaderValue(name, value);
    if (!isSafeHeaderValue(resolved)) {
      throw ConfigError("headers." + name + ": the value contains CR, LF or NUL");
    }
    out.emplace_back(name, std::move(resolved));
  }
  return out;
}

Operation operationFromConfig(const Json& entry, const std::string& prefix) {
  Operation op;
  const std::string name = entry.value("name", std::string());
  op.toolName = prefix + name;
  const std::string where = "operation \"" + name + "\": ";
  if (name.empty()) throw ConfigError("an operation has no name");
  if (op.toolName.size() > 64) throw ConfigError(where + "the tool name \"" + op.toolName + "\" is longer than 64 characters");
  op.description = entry.value("description", std::string());
  op.method = upper(entry.value("method", std::string("GET")));
  op.pathTemplate = entry.value("path", std::string());
  op.inputSchema = entry.value("input_schema", Json{{"type", "object"}, {"properties", Json::object()}, {"additionalProperties", false}});
  if (!op.inputSchema.is_object() || op.inputSchema.value("type", Json()) != "object") {
    throw ConfigError(where + "input_schema must be a schema with \"type\": \"object\"");
  }

  if (entry.contains("query")) {
    op.queryArguments = entry["query"].get<std::vector<std::string>>();
  } else {
    op.queryRest = !sendsBody(op.method);
  }

  const std::string body = entry.value("body", std::string(sendsBody(op.method) ? "rest" : "none"));
  if (body == "rest") {
    op.body = BodyMode::Rest;
  } else if (body == "none") {
    op.body = BodyMode::None;
  } else {
    op.body = BodyMode::Argument;
    op.bodyArgument = body;
  }

  const std::string response = entry.value("response", std::string());
  if (response == "text") op.response = ResponseMode::Text;
  else if (response == "structured") op.response = ResponseMode::Structured;
  else if (!response.empty()) throw ConfigError(where + "response must be \"text\" or \"structured\"");

  checkOperation(op);
  return op;
}

}  // namespace portcullis::http
