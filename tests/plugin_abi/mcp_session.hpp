#pragma once
// A session-based MCP client over HTTP, just enough to reach a plugin's tools
// through a running gateway: initialize, notifications/initialized, then
// requests on the session. Replies may come as JSON or as an SSE stream; both
// are decoded to the JSON-RPC response.

#include <cstdint>
#include <string>

#include "core/common/json.hpp"

namespace portcullis::testing {

class McpSession {
 public:
  // Initializes a session with protocol 2025-11-25 on 127.0.0.1:<port><path>.
  // Throws std::runtime_error when the server refuses.
  // bearer: an access or API token sent with every request (empty: none).
  McpSession(uint16_t port, std::string path = "/mcp", std::string bearer = {});

  const std::string& id() const { return sessionId_; }

  // Sends one request and returns the JSON-RPC response object.
  common::json::ObjectPtr request(const std::string& method, const common::json::ObjectPtr& params);

  // tools/call name(arguments); returns the response object.
  common::json::ObjectPtr callTool(const std::string& name, const std::string& argumentsJson = "{}");

  // The names from every page of tools/list.
  std::vector<std::string> toolNames();

 private:
  common::json::ObjectPtr post(const std::string& body, bool expectReply);

  uint16_t port_;
  std::string path_;
  std::string sessionId_;
  std::string bearer_;
  int nextId_ = 1;
};

// The port of a URL such as "http://127.0.0.1:41234/mcp"; 0 when malformed.
uint16_t portOfUrl(const std::string& url);

// result.content[0].text of a tools/call response, or "" when absent.
std::string firstText(const common::json::ObjectPtr& response);

}  // namespace portcullis::testing
