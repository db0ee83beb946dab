#pragma once
// MCP protocol generations. "Legacy" revisions (2025-11-25 and earlier) open a
// session with initialize; "modern" ones (2026-07-28) carry the version in
// every request's _meta and keep no session.

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mcp {

inline constexpr std::string_view kModernVersion = "2026-07-28";
inline constexpr std::string_view kLatestLegacyVersion = "2025-11-25";

enum class Era { Legacy, Modern };

// Newest first.
const std::vector<std::string>& legacyVersions();
const std::vector<std::string>& modernVersions();

bool isLegacyVersion(std::string_view version);
bool isModernVersion(std::string_view version);

// initialize: the client's version if we speak it, otherwise our newest legacy one.
std::string negotiateLegacy(std::string_view requested);

// Revisions are dates, so they order as strings.
inline bool atLeast(std::string_view version, std::string_view than) { return version >= than; }

// _meta keys of 2026-07-28.
namespace meta {
inline constexpr const char* kProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* kClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* kClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kServerInfo = "io.modelcontextprotocol/serverInfo";
inline constexpr const char* kLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr const char* kSubscriptionId = "io.modelcontextprotocol/subscriptionId";
}  // namespace meta

}  // namespace portcullis::mcp
