#pragma once
// Reading the plugin's YAML config (already checked against its schema):
// durations, static header values and hand-declared operations.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operation.hpp"

namespace portcullis::http {

// "250ms", "5s", "10m", "1h", "1d" or a number of milliseconds. Throws
// ConfigError naming `key`.
std::chrono::milliseconds parseDuration(const Json& value, const std::string& key);

// The value of one static header: a plain string, {"env": NAME} or
// {"file": PATH} (trailing line breaks removed). Throws ConfigError naming
// the header, never quoting its value.
std::string resolveHeaderValue(const std::string& name, const Json& value);

// Every entry of `headers`, resolved and checked: a valid name, no CR/LF/NUL
// in the value, and none of the headers that frame the message (Host,
// Content-Length, Transfer-Encoding, Connection).
std::vector<std::pair<std::string, std::string>> resolveHeaders(const Json& headers);

// One entry of `operations`, with the defaults applied (see
// docs/connector-http.md). Throws ConfigError naming the tool.
Operation operationFromConfig(const Json& entry, const std::string& prefix);

}  // namespace portcullis::http
