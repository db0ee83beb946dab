#include "request_mapping.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace portcullis::http {

namespace {

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool isVariableChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// The text of a scalar argument; arrays and objects have none.
std::optional<std::string> scalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

void appendQuery(std::string& query, const std::string& name, const std::string& value) {
  query += query.empty() ? "?" : "&";
  query += percentEncode(name);
  query += '=';
  query += percentEncode(value);
}

// Arrays repeat the parameter (OpenAPI's default form/explode style);
// objects are sent as their JSON text.
void appendQueryArgument(std::string& query, const std::string& name, const Json& value) {
  if (value.is_null()) return;
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_null()) continue;
      const auto text = scalarText(item);
      appendQuery(query, name, text ? *text : item.dump());
    }
    return;
  }
  const auto text = scalarText(value);
  appendQuery(query, name, text ? *text : value.dump());
}

}  // namespace

std::string percentEncode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char raw : value) {
    const auto c = static_cast<unsigned char>(raw);
    if (isUnreserved(c)) {
      out += raw;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::vector<std::string> pathVariables(std::string_view pathTemplate) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < pathTemplate.size()) {
    const char c = pathTemplate[pos];
    if (c == '}') throw ConfigError("path \"" + std::string(pathTemplate) + "\": '}' without '{'");
    if (c != '{') {
      ++pos;
      continue;
    }
    const size_t close = pathTemplate.find('}', pos);
    if (close == std::string_view::npos) {
      throw ConfigError("path \"" + std::string(pathTemplate) + "\": '{' without '}'");
    }
    const std::string name(pathTemplate.substr(pos + 1, close - pos - 1));
    if (name.empty() || !std::all_of(name.begin(), name.end(), isVariableChar)) {
      throw ConfigError("path \"" + std::string(pathTemplate) + "\": bad variable name \"{" + name + "}\"");
    }
    names.push_back(name);
    pos = close + 1;
  }
  return names;
}

void checkOperation(const Operation& op) {
  const std::string where = "tool \"" + op.toolName + "\": ";
  if (op.pathTemplate.empty() || op.pathTemplate[0] != '/') {
    throw ConfigError(where + "path \"" + op.pathTemplate + "\" must start with '/'");
  }
  if (op.pathTemplate.find_first_of("?#") != std::string::npos) {
    throw ConfigError(where + "path \"" + op.pathTemplate + "\" may not hold a query or fragment; use query");
  }
  const Json properties = op.inputSchema.value("properties", Json::object());
  auto declared = [&](const std::string& name, const std::string& what) {
    if (!properties.is_object() || !properties.contains(name)) {
      throw ConfigError(where + what + " \"" + name + "\" is not a property of input_schema");
    }
  };
  std::set<std::string> seen;
  for (const auto& name : pathVariables(op.pathTemplate)) {
    if (!seen.insert(name).second) throw ConfigError(where + "path variable \"" + name + "\" appears twice");
    declared(name, "path variable");
  }
  for (const auto& name : op.queryArguments) declared(name, "query argument");
  for (const auto& [name, header] : op.headerArguments) {
    declared(name, "header argument");
    if (!isHeaderName(header)) throw ConfigError(where + "\"" + header + "\" is not a valid header name");
  }
  if (op.body == BodyMode::Argument) declared(op.bodyArgument, "body argument");
}

std::string expandPath(std::string_view pathTemplate, const Json& arguments) {
  std::string out;
  size_t pos = 0;
  while (pos < pathTemplate.size()) {
    const size_t open = pathTemplate.find('{', pos);
    if (open == std::string_view::npos) {
      out.append(pathTemplate.substr(pos));
      break;
    }
    out.append(pathTemplate.substr(pos, open - pos));
    const size_t close = pathTemplate.find('}', open);
    const std::string name(pathTemplate.substr(open + 1, close - open - 1));
    if (!arguments.is_object() || !arguments.contains(name) || arguments[name].is_null()) {
      throw sdk::ToolError("missing path argument \"" + name + "\"");
    }
    const auto text = scalarText(arguments[name]);
    if (!text) throw sdk::ToolError("path argument \"" + name + "\" must be a string, number or boolean");
    // An empty, "." or ".." segment would change which resource the path names.
    if (text->empty() || *text == "." || *text == "..") {
      throw sdk::ToolError("path argument \"" + name + "\" may not be empty, \".\" or \"..\"");
    }
    out += percentEncode(*text);
    pos = close + 1;
  }
  return out;
}

bool isHeaderName(std::string_view name) {
  static const std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

bool isSafeHeaderValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

OutgoingRequest buildRequest(const Operation& op, const Json& arguments, std::string_view basePath) {
  const Json args = arguments.is_object() ? arguments : Json::object();
  OutgoingRequest request;
  request.method = op.method;

  std::set<std::string> used;
  for (const auto& name : pathVariables(op.pathTemplate)) used.insert(name);
  const std::string path = expandPath(op.pathTemplate, args);

  for (const auto& [name, header] : op.headerArguments) {
    used.insert(name);
    if (!args.contains(name) || args[name].is_null()) continue;
    const auto text = scalarText(args[name]);
    const std::string value = text ? *text : args[name].dump();
    if (!isSafeHeaderValue(value)) {
      throw sdk::ToolError("header argument \"" + name + "\" may not contain CR, LF or NUL");
    }
    request.headers.emplace_back(header, value);
  }

  std::string query;
  if (op.queryRest) {
    for (const auto& [name, value] : args.items()) {
      if (used.count(name) == 0 && !(op.body == BodyMode::Argument && name == op.bodyArgument)) {
        appendQueryArgument(query, name, value);
        used.insert(name);
      }
    }
  } else {
    for (const auto& name : op.queryArguments) {
      used.insert(name);
      if (args.contains(name)) appendQueryArgument(query, name, args[name]);
    }
  }

  switch (op.body) {
    case BodyMode::None:
      break;
    case BodyMode::Rest: {
      Json body = Json::object();
      for (const auto& [name, value] : args.items()) {
        if (used.count(name) == 0) body[name] = value;
      }
      request.body = body.dump();
      request.contentType = "application/json";
      break;
    }
    case BodyMode::Argument:
      if (args.contains(op.bodyArgument)) {
        request.body = args[op.bodyArgument].dump();
        request.contentType = "application/json";
      }
      break;
  }

  request.target = std::string(basePath) + path + query;
  return request;
}

}  // namespace portcullis::http
