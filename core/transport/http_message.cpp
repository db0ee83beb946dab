#include "core/transport/http_message.hpp"

#include <cctype>
#include <charconv>

#include "core/common/text.hpp"

namespace portcullis::transport {

using common::iequals;

std::optional<std::string> RequestHead::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

size_t RequestHead::count(std::string_view name) const {
  size_t n = 0;
  for (const auto& [key, value] : headers) n += iequals(key, name) ? 1 : 0;
  return n;
}

namespace {

bool isTokenChar(unsigned char c) {
  static const std::string_view extra = "!#$%&'*+-.^_`|~";
  return std::isalnum(c) != 0 || extra.find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

// Field values: visible characters, spaces, tabs and obs-text; never CR, LF
// or other control characters.
bool isFieldValue(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

ParseResult invalid(int status, std::string problem) {
  ParseResult r;
  r.status = ParseResult::Status::Invalid;
  r.httpStatus = status;
  r.problem = std::move(problem);
  return r;
}

bool containsToken(std::string_view list, std::string_view token) {
  for (const auto& part : common::split(list, ',')) {
    if (iequals(common::trim(part), token)) return true;
  }
  return false;
}

}  // namespace

ParseResult parseRequestHead(std::string_view buffer, const HttpLimits& limits, RequestHead& head) {
  // Leading empty lines before a request line are tolerated (RFC 9112 2.2).
  size_t start = 0;
  while (buffer.size() >= start + 2 && buffer.substr(start, 2) == "\r\n") start += 2;
  const size_t lineEnd = buffer.find("\r\n", start);
  if (lineEnd == std::string_view::npos) {
    if (buffer.size() - start > limits.maxRequestLine) return invalid(414, "request line too long");
    return {};
  }
  if (lineEnd - start > limits.maxRequestLine) return invalid(414, "request line too long");
  const size_t headEnd = buffer.find("\r\n\r\n", lineEnd);
  if (headEnd == std::string_view::npos) {
    if (buffer.size() - lineEnd > limits.maxHeaderBytes) return invalid(431, "request headers too large");
    return {};
  }
  if (headEnd - lineEnd > limits.maxHeaderBytes) return invalid(431, "request headers too large");

  // Request line: method SP target SP version.
  const std::string_view line = buffer.substr(start, lineEnd - start);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return invalid(400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method)) return invalid(400, "malformed method");
  if (target.empty() || !(target.front() == '/' || target == "*")) {
    return invalid(400, "the request target must be a path");
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7F) return invalid(400, "malformed request target");
  }
  if (version == "HTTP/1.1") {
    head.http11 = true;
  } else if (version == "HTTP/1.0") {
    head.http11 = false;
  } else if (common::startsWith(version, "HTTP/")) {
    return invalid(505, "HTTP version not supported");
  } else {
    return invalid(400, "malformed request line");
  }
  head.method = std::string(method);
  head.target = std::string(target);

  // Header fields.
  size_t pos = lineEnd + 2;
  while (pos < headEnd + 2) {
    const size_t end = buffer.find("\r\n", pos);
    const std::string_view field = buffer.substr(pos, end - pos);
    pos = end + 2;
    if (field.empty()) break;
    if (field.front() == ' ' || field.front() == '\t') return invalid(400, "folded header lines are not accepted");
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) return invalid(400, "malformed header field");
    const std::string_view name = field.substr(0, colon);
    if (!isToken(name)) return invalid(400, "malformed header name");
    const std::string_view value = common::trim(field.substr(colon + 1));
    if (!isFieldValue(value)) return invalid(400, "control characters in a header value");
    if (head.headers.size() >= limits.maxHeaderFields) return invalid(431, "too many header fields");
    head.headers.emplace_back(std::string(name), std::string(value));
  }

  if (head.http11 && head.count("Host") != 1) return invalid(400, "exactly one Host header is required");
  if (head.count("Host") > 1) return invalid(400, "more than one Host header");

  // Framing: exactly one way of telling the body's length.
  const size_t lengths = head.count("Content-Length");
  const size_t encodings = head.count("Transfer-Encoding");
  if (lengths > 0 && encodings > 0) return invalid(400, "both Content-Length and Transfer-Encoding");
  if (lengths > 0) {
    std::optional<uint64_t> length;
    for (const auto& [n, v] : head.headers) {
      if (!iequals(n, "Content-Length")) continue;
      uint64_t parsed = 0;
      const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
      if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) return invalid(400, "malformed Content-Length");
      if (length && *length != parsed) return invalid(400, "conflicting Content-Length headers");
      length = parsed;
    }
    head.contentLength = length;
  }
  if (encodings > 0) {
    if (encodings > 1 || !iequals(*head.header("Transfer-Encoding"), "chunked")) {
      return invalid(501, "only the chunked transfer coding is supported");
    }
    if (!head.http11) return invalid(400, "chunked transfer coding needs HTTP/1.1");
    head.chunked = true;
  }

  const std::string connection = head.header("Connection").value_or("");
  head.keepAlive = head.http11 ? !containsToken(connection, "close") : containsToken(connection, "keep-alive");
  head.expectContinue = iequals(head.header("Expect").value_or(""), "100-continue");

  ParseResult r;
  r.status = ParseResult::Status::Complete;
  r.consumed = headEnd + 4;
  return r;
}

size_t ChunkedDecoder::feed(std::string_view input, std::string& out) {
  static constexpr size_t kMaxLine = 4096;
  size_t used = 0;
  while (used < input.size() && state_ != State::Done && state_ != State::Invalid) {
    switch (state_) {
      case State::Size:
      case State::Trailer:
      case State::DataEnd: {
        const char c = input[used++];
        line_ += c;
        if (line_.size() > kMaxLine || (state_ == State::Trailer && (trailerBytes_ += 1) > 64 * 1024)) {
          state_ = State::Invalid;
          break;
        }
        if (line_.size() < 2 || line_.compare(line_.size() - 2, 2, "\r\n") != 0) break;
        const std::string content = line_.substr(0, line_.size() - 2);
        line_.clear();
        if (state_ == State::DataEnd) {
          state_ = content.empty() ? State::Size : State::Invalid;
        } else if (state_ == State::Trailer) {
          if (content.empty()) state_ = State::Done;
        } else {
          // chunk-size [; extensions]
          const std::string sizeText(common::trim(content.substr(0, content.find(';'))));
          uint64_t size = 0;
          const auto [ptr, ec] = std::from_chars(sizeText.data(), sizeText.data() + sizeText.size(), size, 16);
          if (sizeText.empty() || ec != std::errc() || ptr != sizeText.data() + sizeText.size()) {
            state_ = State::Invalid;
          } else if (size == 0) {
            state_ = State::Trailer;
          } else {
            remaining_ = size;
            state_ = State::Data;
          }
        }
        break;
      }
      case State::Data: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - used));
        out.append(input.data() + used, n);
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::DataEnd;
        break;
      }
      default:
        break;
    }
  }
  return used;
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace portcullis::transport
