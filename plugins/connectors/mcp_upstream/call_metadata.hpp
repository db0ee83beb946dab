#pragma once
// What of a client's request goes upstream besides its arguments: the
// params as the upstream should see them, and the per-request _meta a
// 2026-07-28 upstream needs (protocol version, the caller's capabilities and
// client info, the log level).

#include <portcullis/sdk/errors.hpp>

namespace portcullis::mcp_upstream {

using Json = sdk::Json;

inline constexpr const char* kModernVersion = "2026-07-28";

// The client's params for the upstream. Protocol metadata and the progress
// token are the connector's own; a 2025 session upstream (modern == false)
// gets no inputResponses or requestState.
Json upstreamParams(const Json& clientParams, bool modern);

// The 2026-07-28 _meta for a request made on behalf of a call (`callInfo`
// as Call::info() reports it, `clientParams` the client's params), or for
// the connector's own requests (both null). The tasks extension is left
// out: the upstream must answer inline.
Json modernMeta(const Json& callInfo, const Json& clientParams);

}  // namespace portcullis::mcp_upstream
