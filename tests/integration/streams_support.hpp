#pragma once
// Helpers shared by the stream suites (streams_*.cpp): sessions of the
// 2025 revisions, stateless 2026-07-28 requests, an SSE reader, a raw socket
// reader for bytes the SSE parser hides (comments, a reader that never
// reads), a keep-alive client for many small requests, and a bounded
// "eventually". Every wait is bounded; none of them measures speed.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include "tests/support/http_client.hpp"
#include "tests/support/test_gateway.hpp"

namespace portcullis::testing::streams {

using Json = nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* kModern = "2026-07-28";
inline constexpr const char* kLatestLegacy = "2025-11-25";

inline Json parseJson(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  return parsed;
}

inline std::string rpcRequest(const Json& id, const std::string& method, const Json& params = Json::object()) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump();
}

inline std::string rpcNotification(const std::string& method, const Json& params = Json::object()) {
  return Json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}}.dump();
}

// The first text block of a tools/call result, or "" when there is none.
inline std::string resultText(const Json& response) {
  if (!response.is_object() || !response.contains("result")) return {};
  const Json& content = response["result"].value("content", Json::array());
  for (const auto& block : content) {
    if (block.is_object() && block.value("type", "") == "text") return block.value("text", "");
  }
  return {};
}

// Polls `condition` until it holds or `bound` passes; a wait for a state
// change, never a fixed delay.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds bound = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// /readyz as JSON.
inline Json readiness(uint16_t port) {
  const HttpResult r = request(port, "GET", "/readyz");
  return parseJson(r.body);
}

inline int64_t openStreams(uint16_t port) {
  const Json ready = readiness(port);
  return ready.is_object() ? ready.value("streams", int64_t{-1}) : -1;
}

// ---------------------------------------------------------------------------
// Sessions of the 2025 revisions.

struct Session {
  std::string id;
  std::string version;

  Headers post(const Headers& extra = {}) const {
    Headers h = mcpPostHeaders({{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", version}});
    for (const auto& e : extra) h.push_back(e);
    return h;
  }
  Headers get(const Headers& extra = {}) const {
    Headers h{{"Accept", "text/event-stream"}, {"Mcp-Session-Id", id}, {"MCP-Protocol-Version", version}};
    for (const auto& e : extra) h.push_back(e);
    return h;
  }
};

// initialize + notifications/initialized; fails the test when either is refused.
inline Session openSession(uint16_t port, const Json& capabilities = Json::object(),
                           const std::string& version = kLatestLegacy) {
  Session session;
  const HttpResult init = request(
      port, "POST", "/mcp", mcpPostHeaders(),
      rpcRequest(0, "initialize",
                 {{"protocolVersion", version},
                  {"capabilities", capabilities},
                  {"clientInfo", {{"name", "streams-test"}, {"version", "1.0.0"}}}}));
  EXPECT_EQ(init.status, 200) << init.body;
  session.id = init.header("Mcp-Session-Id").value_or("");
  EXPECT_FALSE(session.id.empty()) << "initialize gave no Mcp-Session-Id";
  const Json body = parseJson(init.body);
  session.version = body.is_object() && body.contains("result")
                        ? body["result"].value("protocolVersion", version)
                        : version;
  const HttpResult initialized =
      request(port, "POST", "/mcp", session.post(), rpcNotification("notifications/initialized"));
  EXPECT_EQ(initialized.status, 202) << initialized.body;
  return session;
}

inline std::string toolCall(const Json& id, const std::string& name, const Json& arguments = Json::object(),
                            const Json& meta = nullptr) {
  Json params{{"name", name}, {"arguments", arguments}};
  if (!meta.is_null()) params["_meta"] = meta;
  return rpcRequest(id, "tools/call", params);
}

// ---------------------------------------------------------------------------
// 2026-07-28 stateless requests.

inline Json modernMeta(const Json& capabilities = Json::object(), const Json& extra = Json::object()) {
  Json meta{{"io.modelcontextprotocol/protocolVersion", kModern},
            {"io.modelcontextprotocol/clientCapabilities", capabilities},
            {"io.modelcontextprotocol/clientInfo", {{"name", "streams-test"}, {"version", "1.0.0"}}}};
  for (const auto& [key, value] : extra.items()) meta[key] = value;
  return meta;
}

inline Headers modernHeaders(const std::string& method, const std::string& name = {}) {
  Headers h = mcpPostHeaders({{"MCP-Protocol-Version", kModern}, {"Mcp-Method", method}});
  if (!name.empty()) h.emplace_back("Mcp-Name", name);
  return h;
}

inline std::string modernToolCall(const Json& id, const std::string& name, const Json& arguments = Json::object(),
                                  const Json& extraMeta = Json::object()) {
  return rpcRequest(id, "tools/call",
                    {{"name", name}, {"arguments", arguments}, {"_meta", modernMeta(Json::object(), extraMeta)}});
}

// ---------------------------------------------------------------------------
// An SSE response read incrementally over its own connection. Unlike the
// shared SseStream it decodes body bytes that arrived together with the
// response head at once (a priming event usually does), so no event waits
// for the next packet.

class SseClient {
 public:
  struct Event {
    std::string id;
    std::string event;
    std::string data;
    std::optional<int> retry;
  };

  SseClient(uint16_t port, const std::string& method, const std::string& path, const Headers& headers,
            const std::string& body = {}, std::optional<int> receiveBuffer = std::nullopt)
      : socket_(Poco::Net::SocketAddress::IPv4) {
    if (receiveBuffer) socket_.setReceiveBufferSize(*receiveBuffer);
    socket_.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(10, 0));
    std::string text = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    socket_.sendBytes(text.data(), static_cast<int>(text.size()));

    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    size_t end = std::string::npos;
    while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
      if (peerClosed_ || std::chrono::steady_clock::now() >= until) return;
      receive(until);
    }
    std::istringstream head(raw_.substr(0, end));
    raw_.erase(0, end + 4);
    std::string line;
    std::getline(head, line);
    if (line.size() >= 12) status_ = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      headers_.emplace_back(line.substr(0, colon), value);
    }
    const std::string te = header("Transfer-Encoding").value_or("");
    chunked_ = te.find("chunked") != std::string::npos;
    if (auto length = header("Content-Length")) contentLength_ = std::stoull(*length);
    decode();
  }

  ~SseClient() { close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  int status() const { return status_; }
  std::optional<std::string> header(const std::string& name) const {
    for (const auto& [n, v] : headers_) {
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        return v;
      }
    }
    return std::nullopt;
  }

  // The next event (comment-only blocks are skipped), or nullopt when the
  // body ended or nothing complete arrived within the bound.
  std::optional<Event> next(std::chrono::milliseconds bound = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (true) {
      const size_t end = body_.find("\n\n");
      if (end != std::string::npos) {
        const std::string block = body_.substr(0, end);
        body_.erase(0, end + 2);
        if (auto event = parse(block)) return event;
        continue;
      }
      if (ended() || std::chrono::steady_clock::now() >= until) return std::nullopt;
      receive(until);
    }
  }

  // The whole remaining body as text, for a reply that is not a stream.
  std::string readAll(std::chrono::milliseconds bound = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (!ended() && std::chrono::steady_clock::now() < until) receive(until);
    std::string out;
    out.swap(body_);
    return out;
  }

  // The body ended: its last chunk arrived or the server closed the connection.
  bool ended() const { return bodyEnded_ || peerClosed_; }
  // Body bytes received but not yet taken as events (for diagnostics).
  const std::string& pending() const { return body_; }

  void close() {
    try {
      socket_.close();
    } catch (const Poco::Exception&) {
    }
  }

  static std::optional<Event> parse(const std::string& block) {
    Event event;
    bool any = false;
    std::istringstream in(block);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == ':') continue;
      const size_t colon = line.find(':');
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
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
    if (!any) return std::nullopt;
    return event;
  }

 private:
  void receive(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(until - std::chrono::steady_clock::now());
    const long wait = std::max<long>(1000, std::min<long>(static_cast<long>(left.count()), 50'000));
    try {
      if (!socket_.poll(Poco::Timespan(0, wait), Poco::Net::Socket::SELECT_READ)) return;
      char buffer[8192];
      const int n = socket_.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) {
        peerClosed_ = true;
        return;
      }
      raw_.append(buffer, static_cast<size_t>(n));
    } catch (const Poco::Exception&) {
      peerClosed_ = true;
      return;
    }
    if (status_ != 0) decode();
  }

  void decode() {
    if (!chunked_) {
      body_ += raw_;
      received_ += raw_.size();
      raw_.clear();
      if (contentLength_ && received_ >= *contentLength_) bodyEnded_ = true;
      return;
    }
    while (!bodyEnded_) {
      const size_t lineEnd = raw_.find("\r\n");
      if (lineEnd == std::string::npos) return;
      const size_t size = std::stoul(raw_.substr(0, lineEnd), nullptr, 16);
      if (size == 0) {
        bodyEnded_ = true;
        raw_.clear();
        return;
      }
      if (raw_.size() < lineEnd + 2 + size + 2) return;
      body_.append(raw_, lineEnd + 2, size);
      raw_.erase(0, lineEnd + 2 + size + 2);
    }
  }

  Poco::Net::StreamSocket socket_;
  int status_ = 0;
  Headers headers_;
  std::string raw_;   // received bytes not yet decoded
  std::string body_;  // decoded body bytes not yet taken as events
  bool chunked_ = false;
  std::optional<size_t> contentLength_;
  size_t received_ = 0;
  bool bodyEnded_ = false;
  bool peerClosed_ = false;
};

// ---------------------------------------------------------------------------
// A response read as raw bytes: for SSE comments, and for a client that
// does not read at all (a small receive buffer makes the server's writes
// back up quickly).

class RawStream {
 public:
  RawStream(uint16_t port, const std::string& method, const std::string& path, const Headers& headers,
            const std::string& body = {}, std::optional<int> receiveBuffer = std::nullopt)
      : socket_(Poco::Net::SocketAddress::IPv4) {
    if (receiveBuffer) socket_.setReceiveBufferSize(*receiveBuffer);
    socket_.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(10, 0));
    std::string text = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    socket_.sendBytes(text.data(), static_cast<int>(text.size()));
  }

  ~RawStream() { close(); }

  // Reads until `needle` has been received (counting from the start of the
  // response) or the bound passes or the peer closes. True when found.
  bool readUntil(const std::string& needle, std::chrono::milliseconds bound = std::chrono::seconds(30),
                 size_t occurrences = 1) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (count(needle) < occurrences) {
      if (closed_ || std::chrono::steady_clock::now() >= until) return false;
      readSome(std::chrono::milliseconds(50));
    }
    return true;
  }

  // Reads until the peer closes the connection; true when it did within the bound.
  bool readToEnd(std::chrono::milliseconds bound = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (!closed_ && std::chrono::steady_clock::now() < until) readSome(std::chrono::milliseconds(50));
    return closed_;
  }

  // Lets a stream opened with a tiny receive buffer read quickly from now on.
  void growReceiveBuffer(int bytes = 4 * 1024 * 1024) {
    try {
      socket_.setReceiveBufferSize(bytes);
    } catch (const Poco::Exception&) {
    }
  }

  size_t count(const std::string& needle) const {
    size_t n = 0;
    for (size_t at = data_.find(needle); at != std::string::npos; at = data_.find(needle, at + needle.size())) ++n;
    return n;
  }

  const std::string& data() const { return data_; }
  bool peerClosed() const { return closed_; }

  void close() {
    try {
      socket_.close();
    } catch (const Poco::Exception&) {
    }
  }

 private:
  void readSome(std::chrono::milliseconds wait) {
    try {
      if (!socket_.poll(Poco::Timespan(0, static_cast<long>(wait.count()) * 1000), Poco::Net::Socket::SELECT_READ)) {
        return;
      }
      char buffer[8192];
      const int n = socket_.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) {
        closed_ = true;
        return;
      }
      data_.append(buffer, static_cast<size_t>(n));
    } catch (const Poco::Exception&) {
      closed_ = true;
    }
  }

  Poco::Net::StreamSocket socket_;
  std::string data_;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------
// Many small requests over one keep-alive connection (so a long loop does
// not leave thousands of sockets in TIME_WAIT). Reconnects when the server
// closed the connection in between.

class KeepAliveClient {
 public:
  explicit KeepAliveClient(uint16_t port) : port_(port) { reset(); }

  HttpResult post(const std::string& path, const Headers& headers, const std::string& body) {
    for (int attempt = 0;; ++attempt) {
      try {
        return exchange(path, headers, body);
      } catch (const Poco::Exception&) {
        if (attempt >= 2) throw;
        reset();
      }
    }
  }

 private:
  void reset() {
    session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
    session_->setKeepAlive(true);
    session_->setTimeout(Poco::Timespan(30, 0));
  }

  HttpResult exchange(const std::string& path, const Headers& headers, const std::string& body) {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost("127.0.0.1", port_);
    req.setKeepAlive(true);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session_->sendRequest(req) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session_->receiveResponse(response);
    HttpResult result;
    result.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) result.headers.emplace_back(name, value);
    std::ostringstream out;
    Poco::StreamCopier::copyStream(in, out);
    result.body = out.str();
    if (!response.getKeepAlive()) reset();
    return result;
  }

  uint16_t port_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

// Reads events from `stream` until one satisfies `match`; the events skipped
// on the way are appended to `skipped` when given.
inline std::optional<SseClient::Event> nextMatching(SseClient& stream,
                                                    const std::function<bool(const SseClient::Event&)>& match,
                                                    std::chrono::milliseconds bound = std::chrono::seconds(30),
                                                    std::vector<SseClient::Event>* skipped = nullptr) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto event = stream.next(left);
    if (!event) return std::nullopt;
    if (match(*event)) return event;
    if (skipped != nullptr) skipped->push_back(*event);
  }
}

// The JSON-RPC message an SSE event carries (null for an empty priming event).
inline Json messageOf(const SseClient::Event& event) {
  if (event.data.empty()) return nullptr;
  return parseJson(event.data);
}

// The events of an SSE body that was read to its end.
inline std::vector<SseClient::Event> parseSseBody(const std::string& body) {
  std::vector<SseClient::Event> events;
  SseClient::Event event;
  bool any = false;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (any) events.push_back(event);
      event = {};
      any = false;
      continue;
    }
    if (line[0] == ':') continue;
    const size_t colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
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
  if (any) events.push_back(event);
  return events;
}

inline bool isEventStream(const std::optional<std::string>& contentType) {
  return contentType && contentType->rfind("text/event-stream", 0) == 0;
}

// Every JSON-RPC message of a reply read to its end, whether it came as
// plain JSON or as SSE (priming events carry no message and are left out).
inline std::vector<Json> messagesOf(const HttpResult& reply) {
  std::vector<Json> out;
  if (isEventStream(reply.header("Content-Type"))) {
    for (const auto& event : parseSseBody(reply.body)) {
      if (!event.data.empty()) out.push_back(parseJson(event.data));
    }
  } else if (!reply.body.empty()) {
    out.push_back(parseJson(reply.body));
  }
  return out;
}

inline bool isMethod(const SseClient::Event& event, const std::string& method) {
  const Json m = messageOf(event);
  return m.is_object() && m.value("method", "") == method;
}

inline bool isResponseTo(const SseClient::Event& event, const Json& id) {
  const Json m = messageOf(event);
  return m.is_object() && !m.contains("method") && m.contains("id") && m["id"] == id &&
         (m.contains("result") || m.contains("error"));
}

}  // namespace portcullis::testing::streams
