#pragma once
// Matching concrete URIs against RFC 6570 URI templates, with no dependency
// beyond the standard library, so the server (which routes resources/read to
// the plugin owning a template) and plugins (which read the variables) agree
// on every match. "{name}" matches one or more characters other than '/',
// '?' and '#'; "{+name}" and "{#name}" (reserved expansion) match any
// characters. No regular expressions: a long URI cannot exhaust the stack.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::sdk {

class UriTemplate {
 public:
  explicit UriTemplate(std::string_view text) : text_(text) {
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t open = text.find('{', pos);
      const size_t close = open == std::string_view::npos ? open : text.find('}', open);
      if (close == std::string_view::npos) {
        parts_.push_back({std::string(text.substr(pos)), false, false});
        break;
      }
      if (open > pos) parts_.push_back({std::string(text.substr(pos, open - pos)), false, false});
      std::string name(text.substr(open + 1, close - open - 1));
      const bool reserved = !name.empty() && (name[0] == '+' || name[0] == '#');
      if (reserved) name.erase(0, 1);
      parts_.push_back({name, true, reserved});
      pos = close + 1;
    }
  }

  const std::string& text() const { return text_; }

  // True when the URI matches; fills `variables` with the expanded values.
  bool match(std::string_view uri, std::map<std::string, std::string>& variables) const {
    variables.clear();
    return matchFrom(0, uri, 0, variables);
  }

  bool matches(std::string_view uri) const {
    std::map<std::string, std::string> ignored;
    return match(uri, ignored);
  }

 private:
  struct Part {
    std::string text;  // literal text, or the variable's name
    bool variable;
    bool reserved;
  };

  static bool plainChar(char c) { return c != '/' && c != '?' && c != '#'; }

  // Parts are few, so trying each end position of a variable is cheap; the
  // recursion depth is bounded by the number of parts, not the URI length.
  bool matchFrom(size_t part, std::string_view uri, size_t at,
                 std::map<std::string, std::string>& variables) const {
    if (part == parts_.size()) return at == uri.size();
    const Part& p = parts_[part];
    if (!p.variable) {
      if (uri.compare(at, p.text.size(), p.text) != 0) return false;
      return matchFrom(part + 1, uri, at + p.text.size(), variables);
    }
    size_t limit = at;
    while (limit < uri.size() && (p.reserved || plainChar(uri[limit]))) ++limit;
    // A literal that follows narrows where the variable can end.
    const bool literalNext = part + 1 < parts_.size() && !parts_[part + 1].variable;
    for (size_t end = limit; end > at; --end) {
      if (literalNext && uri.compare(end, parts_[part + 1].text.size(), parts_[part + 1].text) != 0) {
        continue;
      }
      if (matchFrom(part + 1, uri, end, variables)) {
        variables[p.text] = std::string(uri.substr(at, end - at));
        return true;
      }
    }
    return false;
  }

  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace portcullis::sdk
