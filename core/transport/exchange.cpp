#include "core/transport/exchange.hpp"

#include <ctime>

#include <Poco/Net/NetException.h>
#include <Poco/URI.h>

#include "core/common/json.hpp"
#include "core/common/log.hpp"
#include "core/common/text.hpp"

namespace portcullis::transport {

namespace {
constexpr auto kSlice = std::chrono::milliseconds(100);
}

const std::string& httpDate() {
  thread_local std::time_t cachedAt = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cachedAt) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[40];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = text;
    cachedAt = now;
  }
  return cached;
}

ConnectionReader::Result ConnectionReader::waitFor(Channel::Wait wait, Clock::time_point deadline) {
  if (wait == Channel::Wait::Closed) return Result::Closed;
  const int mode = wait == Channel::Wait::Write ? Poco::Net::Socket::SELECT_WRITE : Poco::Net::Socket::SELECT_READ;
  while (true) {
    if (stopping_) return Result::Stopped;
    const auto now = Clock::now();
    if (now >= deadline) return Result::TimedOut;
    const auto slice = std::min<Clock::duration>(deadline - now, kSlice);
    try {
      if (channel_.socket().poll(
              Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(slice).count()), mode)) {
        return Result::Data;
      }
    } catch (const Poco::Exception&) {
      return Result::Closed;
    }
  }
}

ConnectionReader::Result ConnectionReader::readMore(std::string& buffer, Clock::time_point deadline) {
  char chunk[16384];
  Channel::Wait wait = channel_.pending() > 0 ? Channel::Wait::None : Channel::Wait::Read;
  while (true) {
    if (wait != Channel::Wait::None) {
      const Result ready = waitFor(wait, deadline);
      if (ready != Result::Data) return ready;
    }
    const Channel::Io io = channel_.read(chunk, sizeof chunk);
    if (io.bytes > 0) {
      buffer.append(chunk, io.bytes);
      return Result::Data;
    }
    if (io.wait == Channel::Wait::Closed) return Result::Closed;
    wait = io.wait;  // part of a TLS record, or the socket was not ready after all
  }
}

ConnectionReader::Result ConnectionReader::waitReadable(Clock::time_point deadline,
                                                        const std::function<bool()>& yield) {
  if (channel_.pending() > 0) return Result::Data;
  while (true) {
    if (stopping_) return Result::Stopped;
    const auto now = Clock::now();
    if (now >= deadline) return Result::TimedOut;
    const auto slice = std::min<Clock::duration>(deadline - now, kSlice);
    try {
      if (channel_.socket().poll(
              Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(slice).count()),
              Poco::Net::Socket::SELECT_READ)) {
        return Result::Data;
      }
    } catch (const Poco::Exception&) {
      return Result::Closed;
    }
    if (yield && yield()) return Result::Stopped;
  }
}

bool ConnectionReader::writeAll(const char* data, size_t size, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < size) {
    const Channel::Io io = channel_.write(data + sent, size - sent);
    if (io.bytes > 0) {
      sent += io.bytes;
      continue;
    }
    if (waitFor(io.wait, deadline) != Result::Data) return false;
  }
  return true;
}

bool ConnectionReader::handshake(Clock::time_point deadline) {
  while (true) {
    const Channel::Wait wait = channel_.handshake();
    if (wait == Channel::Wait::None) return true;
    if (waitFor(wait, deadline) != Result::Data) return false;
  }
}

Exchange::Exchange(ConnectionReader& reader, RequestHead head,
                   std::string& pending, ConnectionReader::Clock::time_point deadline,
                   const ExchangeLimits& limits, const std::string& serverHeader,
                   std::chrono::milliseconds sendBound)
    : reader_(reader),
      head_(std::move(head)),
      pending_(pending),
      deadline_(deadline),
      limits_(limits),
      serverHeader_(serverHeader),
      sendBound_(sendBound),
      keepAlive_(head_.keepAlive) {
  const size_t q = head_.target.find('?');
  path_ = head_.target.substr(0, q);
  if (q != std::string::npos) rawQuery_ = head_.target.substr(q + 1);
}

std::optional<std::string> Exchange::query(const std::string& name) const {
  for (const auto& pair : common::split(rawQuery_, '&')) {
    const size_t eq = pair.find('=');
    std::string key;
    std::string value;
    try {
      Poco::URI::decode(pair.substr(0, eq), key, true);
      if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value, true);
    } catch (const Poco::Exception&) {
      continue;
    }
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string Exchange::peer() const {
  try {
    return reader_.channel().socket().peerAddress().toString();
  } catch (const Poco::Exception&) {
    return "?";
  }
}

std::string Exchange::peerHost() const {
  try {
    return reader_.channel().socket().peerAddress().host().toString();
  } catch (const Poco::Exception&) {
    return "?";
  }
}

bool Exchange::bodyPending() const {
  return !bodyRead_ && (head_.chunked || head_.contentLength.value_or(0) > 0);
}

std::optional<std::string> Exchange::readBody() {
  auto fail = [this](int status, const std::string& message) {
    closeAfterResponse();
    std::string body = R"({"jsonrpc":"2.0","id":null,"error":{"code":)";
    body += status == 413 ? "-32600" : status == 408 ? "-32000" : "-32700";
    body += R"(,"message":)";
    common::json::appendQuoted(body, message);
    body += "}}";
    respondJson(status, body);
    return std::optional<std::string>();
  };
  const size_t cap = limits_.maxBodyBytes;
  if (head_.contentLength && *head_.contentLength > cap) {
    return fail(413, "Payload Too Large: the limit is " + std::to_string(cap) + " bytes");
  }
  if (!head_.chunked && !head_.contentLength) {
    bodyRead_ = true;
    return std::string();
  }
  if (head_.expectContinue && pending_.empty()) send("HTTP/1.1 100 Continue\r\n\r\n");
  std::string body;
  if (head_.chunked) {
    ChunkedDecoder decoder;
    while (true) {
      const size_t used = decoder.feed(pending_, body);
      pending_.erase(0, used);
      if (body.size() > cap) return fail(413, "Payload Too Large: the limit is " + std::to_string(cap) + " bytes");
      if (decoder.invalid()) return fail(400, "Bad Request: malformed chunked body");
      if (decoder.done()) break;
      const auto r = reader_.readMore(pending_, deadline_);
      if (r == ConnectionReader::Result::TimedOut) return fail(408, "Request Timeout");
      if (r != ConnectionReader::Result::Data) {
        failed_ = true;
        return std::nullopt;
      }
    }
  } else {
    const size_t length = static_cast<size_t>(*head_.contentLength);
    while (pending_.size() < length) {
      const auto r = reader_.readMore(pending_, deadline_);
      if (r == ConnectionReader::Result::TimedOut) return fail(408, "Request Timeout");
      if (r != ConnectionReader::Result::Data) {
        failed_ = true;
        return std::nullopt;
      }
    }
    body = pending_.substr(0, length);
    pending_.erase(0, length);
  }
  bodyRead_ = true;
  return body;
}

void Exchange::setHeader(const std::string& name, const std::string& value) {
  for (auto& [n, v] : headers_) {
    if (common::iequals(n, name)) {
      v = value;
      return;
    }
  }
  headers_.emplace_back(name, value);
}

void Exchange::send(const std::string& bytes) {
  if (!reader_.writeAll(bytes.data(), bytes.size(), ConnectionReader::Clock::now() + sendBound_)) failed_ = true;
}

void Exchange::respond(int status, const std::string& contentType, const std::string& body) {
  if (responded_) return;
  responded_ = true;
  // An unread body would be taken for the next request on this connection.
  if (bodyPending()) keepAlive_ = false;
  if (status >= 400) {
    auto& log = common::logger("transport");
    if (log.debug()) {
      log.debug("%s %s from %s: %d %s", method(), path(), peer(), status, body.substr(0, 300));
    }
  }
  std::string out;
  out.reserve(256 + body.size());
  out += head_.http11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(status);
  out += ' ';
  out += reasonPhrase(status);
  out += "\r\nDate: ";
  out += httpDate();
  out += "\r\nServer: ";
  out += serverHeader_;
  out += "\r\n";
  if (!body.empty()) {
    out += "Content-Type: ";
    out += contentType;
    out += "\r\n";
  }
  if (status != 204 && status >= 200) {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  if (!keepAlive_) {
    out += "Connection: close\r\n";
  } else if (!head_.http11) {
    out += "Connection: keep-alive\r\n";
  }
  for (const auto& [name, value] : headers_) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  if (head_.method != "HEAD") out += body;
  send(out);
}

void Exchange::respondEmpty(int status) { respond(status, "", ""); }

Channel Exchange::detach(int status, const std::string& contentType, std::string& head) {
  head = head_.http11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  head += std::to_string(status) + " " + reasonPhrase(status) + "\r\n";
  head += "Date: " + httpDate() + "\r\n";
  head += "Server: " + serverHeader_ + "\r\n";
  head += "Content-Type: " + contentType + "\r\n";
  head += "Cache-Control: no-cache, no-transform\r\n";
  head += "X-Accel-Buffering: no\r\n";
  if (head_.http11) head += "Transfer-Encoding: chunked\r\n";
  head += "Connection: close\r\n";
  for (const auto& [name, value] : headers_) head += name + ": " + value + "\r\n";
  head += "\r\n";
  responded_ = true;
  detached_ = true;
  keepAlive_ = false;
  return reader_.channel();
}

}  // namespace portcullis::transport
