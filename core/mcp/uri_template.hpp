#pragma once
// Matching of RFC 6570 URI templates against concrete URIs, for routing
// resources/read and completion to the provider that owns a template. Level 1
// expressions "{var}" match one or more characters other than '/', '?' and
// '#'; "{+var}" (reserved expansion) also matches '/'.

#include <regex>
#include <string>

namespace portcullis::mcp {

class UriTemplate {
 public:
  explicit UriTemplate(std::string text);
  bool matches(const std::string& uri) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::regex regex_;
};

}  // namespace portcullis::mcp
