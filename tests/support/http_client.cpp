#include "tests/support/http_client.hpp"

#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include "core/common/text.hpp"

namespace portcullis::testing {

namespace {

std::optional<std::string> find(const Headers& headers, const std::string& name) {
  for (const auto& [n, v] : headers) {
    if (common::iequals(n, name)) return v;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> HttpResult::header(const std::string& name) const { return find(headers, name); }

Headers mcpPostHeaders(const Headers& extra) {
  Headers h{{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}};
  for (const auto& e : extra) h.push_back(e);
  return h;
}

HttpResult request(uint16_t port, const std::string& method, const std::string& path,
                   const Headers& headers, const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setHost("127.0.0.1", port);
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "POST") req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpResult result;
  result.status = static_cast<int>(response.getStatus());
  for (const auto& [name, value] : response) result.headers.emplace_back(name, value);
  std::ostringstream out;
  Poco::StreamCopier::copyStream(in, out);
  result.body = out.str();
  return result;
}

std::string rawExchange(uint16_t port, const std::string& raw, std::chrono::milliseconds bound) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.sendBytes(raw.data(), static_cast<int>(raw.size()));
  std::string out;
  const auto until = std::chrono::steady_clock::now() + bound;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < until) {
    if (!socket.poll(Poco::Timespan(0, 100'000), Poco::Net::Socket::SELECT_READ)) continue;
    int n = 0;
    try {
      n = socket.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::Exception&) {
      break;
    }
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

SseStream::SseStream(uint16_t port, const std::string& method, const std::string& path,
                     const Headers& headers, const std::string& body)
    : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  socket_.sendBytes(request.data(), static_cast<int>(request.size()));

  // Status line and headers.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  size_t end = std::string::npos;
  while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(until)) return;
  }
  std::istringstream head(raw_.substr(0, end));
  raw_.erase(0, end + 4);
  std::string line;
  std::getline(head, line);
  if (line.size() > 12) status_ = std::stoi(line.substr(9, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    headers_.emplace_back(line.substr(0, colon), std::string(common::trim(line.substr(colon + 1))));
  }
  chunked_ = common::iequals(header("Transfer-Encoding").value_or(""), "chunked");
  if (!chunked_) {
    buffer_ = raw_;
    raw_.clear();
  } else {
    decodeChunks();  // body bytes that came with the head
  }
}

void SseStream::decodeChunks() {
  while (true) {
    const size_t lineEnd = raw_.find("\r\n");
    if (lineEnd == std::string::npos) break;
    const size_t size = std::stoul(raw_.substr(0, lineEnd), nullptr, 16);
    if (size == 0) {
      ended_ = true;
      raw_.clear();
      break;
    }
    if (raw_.size() < lineEnd + 2 + size + 2) break;
    buffer_.append(raw_, lineEnd + 2, size);
    raw_.erase(0, lineEnd + 2 + size + 2);
  }
}

std::optional<std::string> SseStream::header(const std::string& name) const { return find(headers_, name); }

bool SseStream::fill(std::chrono::steady_clock::time_point until) {
  char data[4096];
  while (std::chrono::steady_clock::now() < until) {
    if (!socket_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
    int n = 0;
    try {
      n = socket_.receiveBytes(data, sizeof data);
    } catch (const Poco::Exception&) {
      n = 0;
    }
    if (n <= 0) {
      ended_ = true;
      return false;
    }

    if (status_ == 0 || chunked_) {
      raw_.append(data, static_cast<size_t>(n));
    } else {
      buffer_.append(data, static_cast<size_t>(n));
    }
    if (status_ != 0 && chunked_) decodeChunks();
    return true;
  }
  return false;
}

std::optional<std::string> SseStream::nextLine(std::chrono::steady_clock::time_point until) {
  while (true) {
    const size_t end = buffer_.find('\n');
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    // A stream that ended may still have complete lines buffered.
    if (ended_) {
      if (buffer_.empty()) return std::nullopt;
      std::string rest;
      rest.swap(buffer_);
      return rest;
    }
    if (!fill(until)) {
      if (ended_ && !buffer_.empty()) continue;
      return std::nullopt;
    }
  }
}

std::optional<SseStream::Event> SseStream::next(std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  Event event;
  bool any = false;
  while (auto line = nextLine(until)) {
    if (line->empty()) {
      if (any) return event;
      continue;
    }
    if ((*line)[0] == ':') continue;
    const size_t colon = line->find(':');
    const std::string field = line->substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line->substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    any = true;
    if (field == "data") {
      if (!event.data.empty()) event.data += '\n';
      event.data += value;
    } else if (field == "id") {
      event.id = value;
    } else if (field == "event") {
      event.event = value;
    } else if (field == "retry") {
      event.retry = std::stoi(value);
    }
  }
  return std::nullopt;
}

void SseStream::close() {
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
  }
  ended_ = true;
}

}  // namespace portcullis::testing
