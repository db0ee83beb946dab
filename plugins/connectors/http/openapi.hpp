#pragma once
// Tools from an OpenAPI 3.0/3.1 document: every operation with an
// operationId that passes the include/exclude globs becomes one Operation.
// Pure functions over the parsed document, no network.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <portcullis/sdk/glob.hpp>

#include "operation.hpp"

namespace portcullis::http {

// Bounds on $ref expansion: how deep references may nest, and how many
// JSON nodes the expanded schemas of one operation may hold.
inline constexpr int kMaxRefDepth = 32;
inline constexpr size_t kMaxExpandedNodes = 200'000;

struct OpenApiOptions {
  std::string prefix;
  std::vector<std::string> include;  // globs over operationId; empty means all
  std::vector<std::string> exclude;
};

struct OpenApiTools {
  std::vector<Operation> operations;
  std::vector<std::string> warnings;  // operations skipped, and why
  std::string serverUrl;              // servers[0].url with its variables' defaults; empty when absent
};

// Whether `text` matches `pattern` ('*' any run of characters, '?' one).
using sdk::globMatch;

// prefix + operationId with every character outside [A-Za-z0-9_.-] turned
// into '_'; nullopt when the id has no letter or digit or the name would be
// longer than 64 characters.
std::optional<std::string> sanitiseToolName(std::string_view prefix, std::string_view operationId);

// A copy of `node` with every local $ref ("#/...") replaced by its target.
// Throws ConfigError on a remote or dangling reference, a cycle, nesting
// beyond kMaxRefDepth or an expansion beyond kMaxExpandedNodes.
Json resolveRefs(const Json& document, const Json& node);

// The tools of a parsed document. Throws ConfigError when the document is
// not OpenAPI 3 or an included operation is malformed.
OpenApiTools toolsFromOpenApi(const Json& document, const OpenApiOptions& options);

}  // namespace portcullis::http
