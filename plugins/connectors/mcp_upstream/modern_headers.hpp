#pragma once
// The HTTP headers a 2026-07-28 request carries besides its body: Mcp-Method,
// Mcp-Name (the tool or prompt name, or the resource URI) and one
// Mcp-Param-<Name> for each tool parameter whose schema names a header with
// "x-mcp-header". Values that are not plain printable ASCII are sent as
// "=?base64?...?=".

#include <map>
#include <string>

#include <portcullis/sdk/errors.hpp>

namespace portcullis::mcp_upstream {

using Json = sdk::Json;

std::string encodeHeaderValue(const std::string& value);

// `inputSchema` is the upstream tool's schema (null for other methods).
std::map<std::string, std::string> modernHeaders(const std::string& method, const Json& params,
                                                 const Json& inputSchema);

}  // namespace portcullis::mcp_upstream
