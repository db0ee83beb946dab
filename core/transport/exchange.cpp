#include "core/transport/exchange.hpp"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/URI.h>

#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "core/transport/deadline_watchdog.hpp"

namespace portcullis::transport {

Exchange::Exchange(Poco::Net::HTTPServerRequestImpl& request,
                   Poco::Net::HTTPServerResponseImpl& response, const ExchangeLimits& limits,
                   DeadlineWatchdog& watchdog, uint64_t deadline)
    : request_(request), response_(response), limits_(limits), watchdog_(watchdog), deadline_(deadline) {
  const std::string& uri = request_.getURI();
  const size_t q = uri.find('?');
  path_ = uri.substr(0, q);
  if (q != std::string::npos) rawQuery_ = uri.substr(q + 1);
}

std::optional<std::string> Exchange::query(const std::string& name) const {
  for (const auto& pair : common::split(rawQuery_, '&')) {
    const size_t eq = pair.find('=');
    std::string key;
    std::string value;
    try {
      Poco::URI::decode(pair.substr(0, eq), key);
      if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value);
    } catch (const Poco::Exception&) {
      continue;
    }
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> Exchange::header(const std::string& name) const {
  const auto it = request_.find(name);
  if (it == request_.end()) return std::nullopt;
  return it->second;
}

bool Exchange::http11() const { return request_.getVersion() == Poco::Net::HTTPMessage::HTTP_1_1; }

std::string Exchange::peer() const {
  try {
    return request_.clientAddress().toString();
  } catch (const Poco::Exception&) {
    return "?";
  }
}

void Exchange::requestReceived() { watchdog_.disarm(deadline_); }

std::optional<std::string> Exchange::readBody() {
  auto fail = [this](int status, const std::string& message) {
    closeAfterResponse();
    std::string body = R"({"jsonrpc":"2.0","id":null,"error":{"code":)";
    body += status == 413 ? "-32600" : "-32700";
    body += R"(,"message":")" + message + R"("}})";
    respondJson(status, body);
    return std::optional<std::string>();
  };
  const size_t cap = limits_.maxBodyBytes;
  std::string body;
  try {
    if (request_.hasContentLength()) {
      const auto length = request_.getContentLength64();
      if (length < 0) return fail(400, "Bad Request: invalid Content-Length");
      if (static_cast<uint64_t>(length) > cap) {
        return fail(413, "Payload Too Large: the limit is " + std::to_string(cap) + " bytes");
      }
      body.resize(static_cast<size_t>(length));
      auto& in = request_.stream();
      in.read(body.data(), static_cast<std::streamsize>(length));
      if (static_cast<int64_t>(in.gcount()) != length) {
        if (watchdog_.expired(deadline_)) return fail(408, "Request Timeout");
        return fail(400, "Bad Request: the body ended early");
      }
    } else if (request_.getChunkedTransferEncoding()) {
      auto& in = request_.stream();
      char buffer[16384];
      while (in) {
        in.read(buffer, sizeof buffer);
        body.append(buffer, static_cast<size_t>(in.gcount()));
        if (body.size() > cap) {
          return fail(413, "Payload Too Large: the limit is " + std::to_string(cap) + " bytes");
        }
      }
      if (watchdog_.expired(deadline_)) return fail(408, "Request Timeout");
    }
  } catch (const Poco::Exception&) {
    if (watchdog_.expired(deadline_)) return fail(408, "Request Timeout");
    return fail(400, "Bad Request: malformed body");
  }
  bodyRead_ = true;
  requestReceived();
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

void Exchange::respond(int status, const std::string& contentType, const std::string& body) {
  if (responded_) return;
  responded_ = true;
  // An unread body would be taken for the next request on this connection.
  if (!bodyRead_ && (request_.getChunkedTransferEncoding() ||
                     (request_.hasContentLength() && request_.getContentLength64() > 0))) {
    response_.setKeepAlive(false);
  }
  if (status >= 400) {
    auto& log = common::logger("transport");
    if (log.debug()) {
      log.debug("%s %s from %s: %d %s", method(), path(), peer(), status, body.substr(0, 300));
    }
  }
  response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  for (const auto& [name, value] : headers_) response_.set(name, value);
  if (body.empty()) {
    response_.setContentLength(0);
    response_.send();
    return;
  }
  response_.setContentType(contentType);
  response_.sendBuffer(body.data(), body.size());
}

void Exchange::respondEmpty(int status) { respond(status, "", ""); }

Poco::Net::StreamSocket Exchange::detach(int status, const std::string& contentType,
                                         std::string& head) {
  const auto code = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status);
  head = http11() ? "HTTP/1.1 " : "HTTP/1.0 ";
  head += std::to_string(status) + " " + Poco::Net::HTTPResponse::getReasonForStatus(code) + "\r\n";
  head += "Content-Type: " + contentType + "\r\n";
  head += "Cache-Control: no-cache, no-transform\r\n";
  head += "X-Accel-Buffering: no\r\n";
  if (http11()) head += "Transfer-Encoding: chunked\r\n";
  head += "Connection: close\r\n";
  for (const auto& [name, value] : headers_) head += name + ": " + value + "\r\n";
  head += "\r\n";
  responded_ = true;
  detached_ = true;
  response_.setKeepAlive(false);
  return request_.detachSocket();
}

}  // namespace portcullis::transport
