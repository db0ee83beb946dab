#pragma once
// Shell-style globs for plugin configuration (include/exclude filters over
// names): '*' matches any run of characters, '?' any one character, and
// everything else itself.

#include <string_view>

namespace portcullis::sdk {

inline bool globMatch(std::string_view pattern, std::string_view text) {
  // Iterative, with one backtrack point: linear in practice, never recursive.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace portcullis::sdk
