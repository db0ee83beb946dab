#pragma once
// YAML → JSON, keeping the line of every value so that any later check (the
// core schema, a plugin's schema) can point at the line that is wrong.

#include <string>
#include <unordered_map>

#include "core/common/json.hpp"

namespace portcullis::config {

struct YamlDocument {
  common::json::Value value;
  // "server.listen" → 3, "plugins[0]" → 12, ...
  std::unordered_map<std::string, int> lines;

  // The line of path, or of its nearest ancestor that has one.
  int lineOf(const std::string& path) const;
};

// Parses YAML text. Plain scalars become null, booleans, integers or numbers
// where they look like one; quoted scalars stay strings. "${NAME}" and
// "${NAME:-default}" in a scalar are replaced from the environment.
// Throws common::ConfigError.
YamlDocument parseYaml(const std::string& text, const std::string& fileName);

}  // namespace portcullis::config
