#pragma once
// Regular expressions for JSON Schema "pattern", on PCRE2 rather than
// std::regex: std::regex recurses once per character (a long input crashes
// the process) and has no limit on backtracking; PCRE2 keeps its backtrack
// stack on the heap and stops at a match limit, so hostile input costs a
// bounded amount of work. Compiled patterns are cached.

#include <memory>
#include <string>
#include <string_view>

namespace portcullis::common {

class Pattern {
 public:
  enum class Result { Match, NoMatch, Invalid, TooComplex };

  // Compiles (or takes from the cache) and searches `text` (UTF-8).
  static Result search(const std::string& pattern, std::string_view text);
  // Why the pattern does not compile; empty when it does.
  static std::string error(const std::string& pattern);
};

}  // namespace portcullis::common
