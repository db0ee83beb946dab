#pragma once
// Turning tool arguments into an HTTP request: path template expansion,
// percent-encoding, query parameters, headers and the JSON body. Pure
// functions, no network.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operation.hpp"

namespace portcullis::http {

struct OutgoingRequest {
  std::string method;
  std::string target;  // the path (base path included) and query string
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string contentType;  // empty when there is no body
};

// Percent-encodes every byte except RFC 3986 unreserved characters, so the
// value stays one path segment or one query component.
std::string percentEncode(std::string_view value);

// The variable names of a path template, in order. Throws ConfigError on an
// unbalanced brace or an empty or malformed name.
std::vector<std::string> pathVariables(std::string_view pathTemplate);

// Checks an operation before it is served: a path starting with "/", every
// path variable and mapped argument declared in inputSchema.properties.
// Throws ConfigError naming the tool.
void checkOperation(const Operation& operation);

// The path with each {var} replaced by its encoded argument. Throws
// sdk::ToolError for a missing argument or a value that is not one segment.
std::string expandPath(std::string_view pathTemplate, const Json& arguments);

// An HTTP token (RFC 9110), as header names must be.
bool isHeaderName(std::string_view name);
// A header value without CR, LF or NUL, so it cannot start another header.
bool isSafeHeaderValue(std::string_view value);

// The request for one call. `basePath` (no trailing "/") is prepended to
// the expanded path. Throws sdk::ToolError for arguments that cannot be sent.
OutgoingRequest buildRequest(const Operation& operation, const Json& arguments, std::string_view basePath);

}  // namespace portcullis::http
