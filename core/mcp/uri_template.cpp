#include "core/mcp/uri_template.hpp"

namespace portcullis::mcp {

namespace {
std::string escapeLiteral(const std::string& literal) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : literal) {
    if (special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

UriTemplate::UriTemplate(std::string text) : text_(std::move(text)) {
  std::string pattern;
  size_t pos = 0;
  while (pos < text_.size()) {
    const size_t open = text_.find('{', pos);
    const size_t close = open == std::string::npos ? open : text_.find('}', open);
    if (close == std::string::npos) {
      pattern += escapeLiteral(text_.substr(pos));
      break;
    }
    pattern += escapeLiteral(text_.substr(pos, open - pos));
    const bool reserved = open + 1 < close && (text_[open + 1] == '+' || text_[open + 1] == '#');
    pattern += reserved ? "(.+)" : "([^/?#]+)";
    pos = close + 1;
  }
  regex_ = std::regex(pattern, std::regex::ECMAScript | std::regex::optimize);
}

bool UriTemplate::matches(const std::string& uri) const { return std::regex_match(uri, regex_); }

}  // namespace portcullis::mcp
