#include "sse_parser.hpp"

namespace portcullis::mcp_upstream {

void SseParser::feed(std::string_view bytes) {
  for (const char c : bytes) {
    if (c == '\n' && lastWasCr_) {
      lastWasCr_ = false;
      continue;  // the LF of a CRLF
    }
    lastWasCr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      line(line_);
      line_.clear();
      continue;
    }
    line_ += c;
    if (line_.size() + current_.data.size() > max_)
      throw std::length_error("an SSE event is larger than the limit");
  }
}

void SseParser::line(std::string_view text) {
  if (text.empty()) {
    if (hasData_) sink_(current_);
    current_ = SseEvent{};
    hasData_ = false;
    return;
  }
  if (text.front() == ':') return;
  const size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (hasData_) current_.data += '\n';
    current_.data.append(value);
    hasData_ = true;
  } else if (field == "event") {
    current_.event = std::string(value.empty() ? "message" : value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) current_.id = std::string(value);
  }
}

}  // namespace portcullis::mcp_upstream
