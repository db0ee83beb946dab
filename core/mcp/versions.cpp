#include "core/mcp/versions.hpp"

#include <algorithm>

namespace portcullis::mcp {

const std::vector<std::string>& legacyVersions() {
  static const std::vector<std::string> kVersions{"2025-11-25", "2025-06-18", "2025-03-26",
                                                  "2024-11-05"};
  return kVersions;
}

const std::vector<std::string>& modernVersions() {
  static const std::vector<std::string> kVersions{std::string(kModernVersion)};
  return kVersions;
}

bool isLegacyVersion(std::string_view version) {
  const auto& v = legacyVersions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

bool isModernVersion(std::string_view version) {
  const auto& v = modernVersions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

std::string negotiateLegacy(std::string_view requested) {
  if (isLegacyVersion(requested)) return std::string(requested);
  return std::string(kLatestLegacyVersion);
}

}  // namespace portcullis::mcp
