#pragma once
// One HTTP operation served as an MCP tool: how its arguments become a
// request and how the reply becomes a tool result. Built from the YAML
// `operations` list or from an OpenAPI document.

#include <map>
#include <string>
#include <vector>

#include <portcullis/sdk/errors.hpp>

namespace portcullis::http {

using Json = nlohmann::json;

enum class BodyMode {
  None,      // no request body
  Rest,      // the arguments not used in the path, query or headers, as a JSON object
  Argument,  // the value of one argument is the body
};

enum class ResponseMode {
  Auto,        // structuredContent when the reply is JSON
  Text,        // the reply as text only
  Structured,  // structuredContent when the reply is JSON (said explicitly)
};

struct Operation {
  std::string toolName;  // prefix included
  std::string description;
  std::string method;        // upper case
  std::string pathTemplate;  // relative to the base URL, "{var}" for path arguments
  Json inputSchema;
  // Arguments sent as query parameters; with queryRest, every argument not
  // used in the path or headers instead.
  std::vector<std::string> queryArguments;
  bool queryRest = false;
  // Argument name -> HTTP header name.
  std::map<std::string, std::string> headerArguments;
  BodyMode body = BodyMode::None;
  std::string bodyArgument;  // for BodyMode::Argument
  ResponseMode response = ResponseMode::Auto;
};

// Thrown for a configuration or document the plugin cannot serve; create()
// fails with its message.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace portcullis::http
