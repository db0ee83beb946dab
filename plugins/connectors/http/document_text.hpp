#pragma once
// Parsing an OpenAPI document's text: JSON, or YAML (through yaml-cpp) when
// the text is not JSON.

#include <string>

#include "operation.hpp"

namespace portcullis::http {

// Throws ConfigError naming `source` when the text is neither.
Json parseDocumentText(const std::string& text, const std::string& source);

}  // namespace portcullis::http
