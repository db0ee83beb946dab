#pragma once
// HTTP/1.1 request heads, parsed by hand (docs/adr/0005). Poco's parser
// rewrites header values that contain "=?" as RFC 2047 encoded words, which
// corrupts MCP's "=?base64?...?=" header encoding and lets two components
// disagree about one header; this parser keeps every byte as sent and
// rejects the ambiguous forms request smuggling relies on.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::transport {

struct HttpLimits {
  size_t maxRequestLine = 16 * 1024;
  size_t maxHeaderBytes = 64 * 1024;
  size_t maxHeaderFields = 100;
};

struct RequestHead {
  std::string method;
  std::string target;  // origin-form ("/path?query") or "*"
  bool http11 = true;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<uint64_t> contentLength;
  bool chunked = false;
  bool keepAlive = true;
  bool expectContinue = false;

  // The first value of a header, exactly as sent (names are case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  size_t count(std::string_view name) const;
};

struct ParseResult {
  enum class Status { Complete, NeedMore, Invalid };
  Status status = Status::NeedMore;
  size_t consumed = 0;   // bytes of the head, when complete
  int httpStatus = 400;  // when invalid: 400, 414, 431, 501 or 505
  std::string problem;
};

// Parses a request head at the start of `buffer`. Complete once the blank
// line that ends the head is in the buffer.
ParseResult parseRequestHead(std::string_view buffer, const HttpLimits& limits, RequestHead& head);

// Incremental decoder of a chunked body. Feed it bytes; it appends the data
// to `out` and reports how many input bytes it used.
class ChunkedDecoder {
 public:
  enum class State { Size, Data, DataEnd, Trailer, Done, Invalid };

  // Returns the number of bytes of `input` consumed. Stops at Done or Invalid.
  size_t feed(std::string_view input, std::string& out);
  State state() const { return state_; }
  bool done() const { return state_ == State::Done; }
  bool invalid() const { return state_ == State::Invalid; }

 private:
  State state_ = State::Size;
  std::string line_;
  uint64_t remaining_ = 0;
  size_t trailerBytes_ = 0;
};

const char* reasonPhrase(int status);

}  // namespace portcullis::transport
