#pragma once
// A JSON Schema validator for the subset of draft 2020-12 that configuration
// and tool arguments need: type, enum, const, properties, required,
// additionalProperties, items, min/max (length, items, value), pattern,
// allOf/anyOf/oneOf/not and local $ref ("#/$defs/..."). Keywords outside the
// subset are annotations and ignored. The custom format "duration" accepts
// values such as "15s" (see parseDuration). Why by hand: docs/adr/0002.

#include <string>
#include <vector>

#include "core/common/json.hpp"

namespace portcullis::common {

struct SchemaIssue {
  std::string path;  // "server.listen", "plugins[0].config.key"; empty for the root
  std::string message;
};

class JsonSchema {
 public:
  // Takes a schema value (object or boolean). Throws std::invalid_argument for
  // a schema that is not an object or boolean.
  explicit JsonSchema(json::Value schema);
  static JsonSchema fromText(const std::string& text);

  // Returns at most maxIssues problems; empty means valid. rootPath prefixes
  // every path.
  std::vector<SchemaIssue> validate(const json::Value& instance, const std::string& rootPath = {},
                                    size_t maxIssues = 32) const;

  const json::Value& schema() const { return schema_; }

 private:
  json::Value schema_;
};

}  // namespace portcullis::common
