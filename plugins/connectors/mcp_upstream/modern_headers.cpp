#include "modern_headers.hpp"

#include <vector>

namespace portcullis::mcp_upstream {

namespace {

std::string base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool plain(const std::string& value) {
  if (!value.empty() && (value.front() == ' ' || value.back() == ' ' || value.front() == '\t' ||
                         value.back() == '\t')) {
    return false;
  }
  for (unsigned char c : value) {
    if (c != '\t' && (c < 0x20 || c > 0x7E)) return false;
  }
  return value.rfind("=?", 0) != 0;  // would read as an encoded value
}

// Finds the "x-mcp-header" annotations reachable through "properties".
void collect(const Json& schema, std::vector<std::string>& path,
             std::vector<std::pair<std::vector<std::string>, std::string>>& out) {
  if (!schema.is_object()) return;
  if (!path.empty() && schema.contains("x-mcp-header") && schema["x-mcp-header"].is_string()) {
    out.emplace_back(path, schema["x-mcp-header"].get<std::string>());
  }
  if (schema.contains("properties") && schema["properties"].is_object()) {
    for (const auto& [name, child] : schema["properties"].items()) {
      path.push_back(name);
      collect(child, path, out);
      path.pop_back();
    }
  }
}

}  // namespace

std::string encodeHeaderValue(const std::string& value) {
  return plain(value) ? value : "=?base64?" + base64(value) + "?=";
}

std::map<std::string, std::string> modernHeaders(const std::string& method, const Json& params,
                                                 const Json& inputSchema) {
  std::map<std::string, std::string> headers{{"Mcp-Method", method}};
  const char* nameKey = method == "resources/read"                            ? "uri"
                        : (method == "tools/call" || method == "prompts/get") ? "name"
                                                                              : nullptr;
  if (nameKey != nullptr && params.contains(nameKey) && params[nameKey].is_string()) {
    headers["Mcp-Name"] = encodeHeaderValue(params[nameKey].get<std::string>());
  }
  if (method != "tools/call" || !inputSchema.is_object()) return headers;
  std::vector<std::pair<std::vector<std::string>, std::string>> annotated;
  std::vector<std::string> path;
  collect(inputSchema, path, annotated);
  const Json arguments = params.value("arguments", Json::object());
  for (const auto& [at, header] : annotated) {
    const Json* value = &arguments;
    for (const auto& key : at) {
      value = value->is_object() && value->contains(key) ? &(*value)[key] : nullptr;
      if (value == nullptr) break;
    }
    if (value == nullptr) continue;
    std::string text;
    if (value->is_string())
      text = value->get<std::string>();
    else if (value->is_boolean())
      text = value->get<bool>() ? "true" : "false";
    else if (value->is_number_integer())
      text = std::to_string(value->get<long long>());
    else if (value->is_number())
      text = value->dump();
    else
      continue;
    headers["Mcp-Param-" + header] = encodeHeaderValue(text);
  }
  return headers;
}

}  // namespace portcullis::mcp_upstream
