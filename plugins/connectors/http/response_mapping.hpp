#pragma once
// Turning an HTTP reply into a CallToolResult. Pure functions, no network.

#include <string>
#include <string_view>

#include "operation.hpp"

namespace portcullis::http {

// How much of a failed reply's body an error result quotes.
inline constexpr size_t kErrorBodyQuote = 4096;

struct IncomingResponse {
  int status = 0;
  std::string reason;
  std::string contentType;
  std::string body;
};

// application/json and any +json media type, parameters ignored.
bool isJsonMediaType(std::string_view contentType);

// Whether the bytes are well-formed UTF-8 (so they can travel as text).
bool isUtf8(std::string_view bytes);

// 2xx: the body as text, plus structuredContent (an object; other JSON is
// wrapped as {"result": ...}) when the reply is JSON and the mode allows.
// Anything else: isError naming the status, with the body quoted (cut at
// kErrorBodyQuote bytes).
Json mapResponse(const IncomingResponse& response, ResponseMode mode);

}  // namespace portcullis::http
