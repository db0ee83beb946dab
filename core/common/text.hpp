#pragma once
// Small string and duration helpers shared by every module.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::common {

std::string toLower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char separator);
bool startsWith(std::string_view s, std::string_view prefix);

// "250ms", "15s", "10m", "1h", "30d" (also a bare number of seconds).
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
std::string formatDuration(std::chrono::milliseconds d);

// Standard base64 and unpadded base64url (RFC 4648).
std::string base64Encode(std::string_view data);
std::optional<std::string> base64Decode(std::string_view text);
std::string base64UrlEncode(std::string_view data);
std::optional<std::string> base64UrlDecode(std::string_view text);

// True when every byte is printable ASCII (0x20-0x7E) or a tab.
bool isHeaderSafe(std::string_view value);

}  // namespace portcullis::common
