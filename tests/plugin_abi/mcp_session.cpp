#include "tests/plugin_abi/mcp_session.hpp"

#include <sstream>
#include <stdexcept>

#include "tests/support/http_client.hpp"

namespace portcullis::testing {

namespace json = common::json;

namespace {

constexpr const char* kVersion = "2025-11-25";

// The JSON-RPC response in a reply body: the body itself, or the data of the
// SSE event that carries the response.
json::ObjectPtr decode(const std::string& body) {
  const size_t start = body.find_first_not_of(" \r\n\t");
  if (start != std::string::npos && body[start] == '{') return json::parseObject(body);
  std::istringstream in(body);
  std::string line;
  std::string data;
  auto take = [&data]() -> json::ObjectPtr {
    if (data.empty()) return nullptr;
    json::ObjectPtr message = json::parseObject(data);
    data.clear();
    if (message->has("id") && (message->has("result") || message->has("error"))) return message;
    return nullptr;
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (auto message = take()) return message;
      continue;
    }
    if (line.rfind("data:", 0) == 0) {
      std::string part = line.substr(5);
      if (!part.empty() && part.front() == ' ') part.erase(0, 1);
      data += (data.empty() ? "" : "\n") + part;
    }
  }
  if (auto message = take()) return message;
  throw std::runtime_error("no JSON-RPC response in reply: " + body);
}

}  // namespace

McpSession::McpSession(uint16_t port, std::string path, std::string bearer)
    : port_(port), path_(std::move(path)), bearer_(std::move(bearer)) {
  const std::string body =
      std::string(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")") + kVersion +
      R"(","capabilities":{},"clientInfo":{"name":"plugin-abi-tests","version":"1.0"}}})";
  Headers headers = mcpPostHeaders();
  if (!bearer_.empty()) headers.emplace_back("Authorization", "Bearer " + bearer_);
  HttpResult reply = testing::request(port_, "POST", path_, headers, body);
  if (reply.status != 200) {
    throw std::runtime_error("initialize failed with HTTP " + std::to_string(reply.status) + ": " + reply.body);
  }
  auto session = reply.header("Mcp-Session-Id");
  if (!session) throw std::runtime_error("initialize returned no Mcp-Session-Id: " + reply.body);
  sessionId_ = *session;
  json::ObjectPtr response = decode(reply.body);
  if (!response->has("result")) throw std::runtime_error("initialize failed: " + reply.body);
  post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", false);
}

json::ObjectPtr McpSession::post(const std::string& body, bool expectReply) {
  Headers headers = mcpPostHeaders({{"Mcp-Session-Id", sessionId_}, {"MCP-Protocol-Version", kVersion}});
  if (!bearer_.empty()) headers.emplace_back("Authorization", "Bearer " + bearer_);
  HttpResult reply = testing::request(port_, "POST", path_, headers, body);
  if (!expectReply) {
    if (reply.status != 202 && reply.status != 200 && reply.status != 204) {
      throw std::runtime_error("notification refused with HTTP " + std::to_string(reply.status) + ": " + reply.body);
    }
    return nullptr;
  }
  if (reply.body.empty()) throw std::runtime_error("empty reply, HTTP " + std::to_string(reply.status));
  return decode(reply.body);
}

json::ObjectPtr McpSession::request(const std::string& method, const json::ObjectPtr& params) {
  json::ObjectPtr message = json::makeObject();
  message->set("jsonrpc", std::string("2.0"));
  message->set("id", nextId_++);
  message->set("method", method);
  message->set("params", params ? params : json::makeObject());
  return post(json::stringify(message), true);
}

json::ObjectPtr McpSession::callTool(const std::string& name, const std::string& argumentsJson) {
  json::ObjectPtr params = json::makeObject();
  params->set("name", name);
  params->set("arguments", json::parseObject(argumentsJson));
  return request("tools/call", params);
}

std::vector<std::string> McpSession::toolNames() {
  std::vector<std::string> names;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    json::ObjectPtr params = json::makeObject();
    if (!cursor.empty()) params->set("cursor", cursor);
    json::ObjectPtr response = request("tools/list", params);
    json::ObjectPtr result = json::getObject(response, "result");
    if (!result) throw std::runtime_error("tools/list failed: " + json::stringify(response));
    if (auto tools = json::getArray(result, "tools")) {
      for (const auto& tool : *tools) {
        if (auto name = json::getString(json::asObject(tool), "name")) names.push_back(*name);
      }
    }
    auto next = json::getString(result, "nextCursor");
    if (!next || next->empty()) break;
    cursor = *next;
  }
  return names;
}

uint16_t portOfUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return 0;
  const size_t slash = url.find('/', scheme.size());
  const std::string authority = url.substr(scheme.size(), slash == std::string::npos ? std::string::npos : slash - scheme.size());
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return 0;
  try {
    const int port = std::stoi(authority.substr(colon + 1));
    return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

std::string firstText(const json::ObjectPtr& response) {
  json::ObjectPtr result = json::getObject(response, "result");
  json::ArrayPtr content = json::getArray(result, "content");
  if (!content || content->size() == 0) return {};
  return json::getString(content->getObject(0), "text").value_or("");
}

}  // namespace portcullis::testing
