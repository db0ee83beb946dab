#pragma once
// An incremental parser of text/event-stream (the WHATWG rules MCP relies
// on): lines end in LF, CR or CRLF; "data:" lines join with LF; a blank line
// ends an event; lines starting with ':' are comments. An event larger than
// the cap is an error, so a hostile upstream cannot exhaust memory.

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace portcullis::mcp_upstream {

struct SseEvent {
  std::string event = "message";
  std::string data;
  std::string id;
};

class SseParser {
 public:
  using Sink = std::function<void(const SseEvent&)>;

  SseParser(size_t maxEventBytes, Sink sink) : max_(maxEventBytes), sink_(std::move(sink)) {}

  // Feeds bytes; calls the sink for every complete event. Throws
  // std::length_error when an event or line outgrows the cap.
  void feed(std::string_view bytes);

 private:
  void line(std::string_view text);

  size_t max_;
  Sink sink_;
  std::string line_;
  bool lastWasCr_ = false;
  SseEvent current_;
  bool hasData_ = false;
};

}  // namespace portcullis::mcp_upstream
