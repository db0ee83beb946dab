#pragma once
// Helpers shared by the http_*_test.cpp suites: JSON-RPC bodies for both
// protocol generations, a 2025-era session opened over HTTP, assertions on
// JSON-RPC error bodies, and a raw socket connection that can tell a closed
// connection from a quiet one. Every read is bounded.

#include <chrono>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "core/common/json.hpp"
#include "core/common/text.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_gateway.hpp"

namespace portcullis::testing::http {

namespace json = common::json;

inline constexpr const char* kModern = "2026-07-28";
inline constexpr const char* kLatestLegacy = "2025-11-25";
inline constexpr const char* kMetaVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* kMetaCapabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";

// ---------------------------------------------------------------------------
// JSON

// Parses a JSON object; a body that is not one fails the test and yields an
// empty object so the caller's later expectations fail too.
inline json::ObjectPtr object(const std::string& text) {
  try {
    if (auto o = json::parseObject(text)) return o;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a JSON object (" << e.what() << "): " << text.substr(0, 400);
  }
  return json::makeObject();
}

inline json::ArrayPtr array(const std::string& text) {
  try {
    if (auto a = json::asArray(json::parse(text))) return a;
    ADD_FAILURE() << "not a JSON array: " << text.substr(0, 400);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "): " << text.substr(0, 400);
  }
  return json::makeArray();
}

// The JSON text of a value, "null" for an absent or null one.
inline std::string jsonText(const json::Value& v) { return json::isNull(v) ? "null" : json::stringify(v); }

inline std::string idText(const json::ObjectPtr& message) {
  if (!message || !message->has("id")) return "<absent>";
  return jsonText(message->get("id"));
}

// `body` is a JSON-RPC 2.0 error response with this code and this id (as
// JSON text: "null", "7", "\"abc\"").
inline ::testing::AssertionResult isRpcError(const std::string& body, int code, const std::string& id) {
  json::ObjectPtr o;
  try {
    o = json::parseObject(body);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "body is not a JSON object (" << e.what() << "): " << body;
  }
  if (json::getString(o, "jsonrpc") != std::optional<std::string>("2.0")) {
    return ::testing::AssertionFailure() << "no \"jsonrpc\":\"2.0\" in " << body;
  }
  if (o->has("result")) return ::testing::AssertionFailure() << "a result, not an error: " << body;
  auto error = json::getObject(o, "error");
  if (!error) return ::testing::AssertionFailure() << "no error object in " << body;
  const auto actual = json::getInt(error, "code");
  if (actual != std::optional<int64_t>(code)) {
    return ::testing::AssertionFailure() << "error code " << (actual ? std::to_string(*actual) : "<none>")
                                         << ", expected " << code << ": " << body;
  }
  if (!json::getString(error, "message")) return ::testing::AssertionFailure() << "no message in " << body;
  if (!o->has("id")) return ::testing::AssertionFailure() << "no id member in " << body;
  if (idText(o) != id) {
    return ::testing::AssertionFailure() << "id " << idText(o) << ", expected " << id << ": " << body;
  }
  return ::testing::AssertionSuccess();
}

// `body` is a JSON-RPC 2.0 success response with this id; its result is returned.
inline json::ObjectPtr resultOf(const std::string& body, const std::string& id) {
  json::ObjectPtr o = object(body);
  EXPECT_EQ(json::getString(o, "jsonrpc"), std::optional<std::string>("2.0")) << body;
  EXPECT_FALSE(o->has("error")) << body;
  EXPECT_EQ(idText(o), id) << body;
  auto result = json::getObject(o, "result");
  if (!result) {
    ADD_FAILURE() << "no result object in " << body.substr(0, 400);
    return json::makeObject();
  }
  return result;
}

// The first text content block of a tools/call result.
inline std::string firstText(const json::ObjectPtr& result) {
  auto content = json::getArray(result, "content");
  if (!content || content->size() == 0) return {};
  auto block = json::asObject(content->get(0));
  return json::getString(block, "text").value_or("");
}

// ---------------------------------------------------------------------------
// Bodies

inline std::string rpcRequest(const std::string& id, const std::string& method,
                              const std::string& params = "{}") {
  return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":")" + method + R"(","params":)" + params + "}";
}

inline std::string rpcNotification(const std::string& method, const std::string& params = "{}") {
  return R"({"jsonrpc":"2.0","method":")" + method + R"(","params":)" + params + "}";
}

inline std::string initializeBody(const std::string& version, const std::string& id = "0") {
  return rpcRequest(id, "initialize",
                    R"({"protocolVersion":")" + version +
                        R"(","capabilities":{},"clientInfo":{"name":"portcullis-http-tests","version":"1.0.0"}})");
}

// A 2026-07-28 request: `params` gains the per-request _meta.
inline std::string modernRequest(const std::string& id, const std::string& method,
                                 const std::string& params = "{}", const std::string& version = kModern) {
  json::ObjectPtr p = json::parseObject(params);
  json::ObjectPtr meta = json::getObject(p, "_meta");
  if (!meta) {
    meta = json::makeObject();
    p->set("_meta", meta);
  }
  meta->set(kMetaVersion, version);
  meta->set(kMetaCapabilities, json::makeObject());
  json::ObjectPtr info = json::makeObject();
  info->set("name", std::string("portcullis-http-tests"));
  info->set("version", std::string("1.0.0"));
  meta->set(kMetaClientInfo, info);
  return rpcRequest(id, method, json::stringify(p));
}

// The headers of a 2026-07-28 POST; `name` is the Mcp-Name value when the
// method has one.
inline Headers modernHeaders(const std::string& method, const std::optional<std::string>& name = std::nullopt,
                             const std::string& version = kModern) {
  Headers h = mcpPostHeaders({{"MCP-Protocol-Version", version}, {"Mcp-Method", method}});
  if (name) h.emplace_back("Mcp-Name", *name);
  return h;
}

inline bool isJsonResponse(const HttpResult& r) {
  const std::string type = common::toLower(r.header("Content-Type").value_or(""));
  return common::startsWith(type, "application/json");
}

// ---------------------------------------------------------------------------
// A 2025-era session

struct LegacySession {
  uint16_t port = 0;
  std::string id;
  std::string version;

  // POST headers for a request on this session. The version header exists
  // from 2025-06-18 on.
  Headers headers(const Headers& extra = {}) const {
    Headers h = mcpPostHeaders({{"Mcp-Session-Id", id}});
    if (version >= "2025-06-18") h.emplace_back("MCP-Protocol-Version", version);
    for (const auto& e : extra) h.push_back(e);
    return h;
  }
  HttpResult post(const std::string& body, const Headers& extra = {}) const {
    return request(port, "POST", "/mcp", headers(extra), body);
  }
};

// initialize + notifications/initialized. Failures are reported and leave id empty.
inline LegacySession openSession(uint16_t port, const std::string& version = kLatestLegacy) {
  LegacySession s;
  s.port = port;
  const HttpResult init = request(port, "POST", "/mcp", mcpPostHeaders(), initializeBody(version));
  if (init.status != 200) {
    ADD_FAILURE() << "initialize answered " << init.status << ": " << init.body;
    return s;
  }
  s.id = init.header("Mcp-Session-Id").value_or("");
  if (s.id.empty()) ADD_FAILURE() << "initialize gave no Mcp-Session-Id";
  s.version = json::getString(resultOf(init.body, "0"), "protocolVersion").value_or("");
  const HttpResult initialized = s.post(rpcNotification("notifications/initialized"));
  if (initialized.status != 202) {
    ADD_FAILURE() << "notifications/initialized answered " << initialized.status << ": " << initialized.body;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Raw HTTP

struct RawResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::string> header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (common::iequals(n, name)) return v;
    }
    return std::nullopt;
  }
};

// Parses a response head (status line and header fields, without the blank
// line that ends it).
inline std::optional<RawResponse> parseHead(const std::string& head) {
  if (!common::startsWith(head, "HTTP/1.")) return std::nullopt;
  RawResponse r;
  std::istringstream in(head);
  std::string line;
  std::getline(in, line);
  if (line.size() < 12) return std::nullopt;
  try {
    r.status = std::stoi(line.substr(9, 3));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    r.headers.emplace_back(line.substr(0, colon), std::string(common::trim(line.substr(colon + 1))));
  }
  return r;
}

// Parses one response (Content-Length body, or whatever follows the head)
// from the start of `raw`. nullopt when no complete response is there.
inline std::optional<RawResponse> parseResponse(const std::string& raw, size_t* consumed = nullptr) {
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  auto r = parseHead(raw.substr(0, end));
  if (!r) return std::nullopt;
  size_t bodyEnd = raw.size();
  if (r->status < 200 || r->status == 204 || r->status == 304) {
    bodyEnd = end + 4;  // no body
  } else if (auto length = r->header("Content-Length")) {
    const size_t n = std::stoul(*length);
    if (raw.size() < end + 4 + n) return std::nullopt;
    bodyEnd = end + 4 + n;
  }
  r->body = raw.substr(end + 4, bodyEnd - end - 4);
  if (consumed) *consumed = bodyEnd;
  return r;
}

// One client connection driven byte by byte.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) {}
  ~RawConnection() {
    try {
      socket_.close();
    } catch (const Poco::Exception&) {
    }
  }

  // False when the peer no longer takes bytes.
  bool send(const std::string& bytes) {
    try {
      size_t sent = 0;
      while (sent < bytes.size()) {
        const int n = socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
      }
      return true;
    } catch (const Poco::Exception&) {
      return false;
    }
  }

  // The next complete response (an interim or bodiless one, or one with a
  // Content-Length body), or nullopt when the peer closed first or the bound
  // passed.
  std::optional<RawResponse> readResponse(std::chrono::milliseconds bound = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (true) {
      size_t used = 0;
      if (auto r = parseResponse(buffer_, &used);
          r && (r->header("Content-Length") || r->status < 200 || r->status == 204 || r->status == 304)) {
        buffer_.erase(0, used);
        return r;
      }
      if (!fill(until)) {
        // A response without Content-Length ends with the connection.
        if (closed_) {
          if (auto r = parseResponse(buffer_)) {
            buffer_.clear();
            return r;
          }
        }
        return std::nullopt;
      }
    }
  }

  // True when the peer closes (end of file or reset) within the bound; bytes
  // arriving meanwhile are kept.
  bool closedByPeer(std::chrono::milliseconds bound = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (!closed_) {
      if (!fill(until)) break;
    }
    return closed_;
  }

  const std::string& pending() const { return buffer_; }

 private:
  bool fill(std::chrono::steady_clock::time_point until) {
    if (closed_) return false;
    char data[4096];
    while (std::chrono::steady_clock::now() < until) {
      try {
        if (!socket_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
        const int n = socket_.receiveBytes(data, sizeof data);
        if (n <= 0) {
          closed_ = true;
          return false;
        }
        buffer_.append(data, static_cast<size_t>(n));
        return true;
      } catch (const Poco::Exception&) {
        closed_ = true;
        return false;
      }
    }
    return false;
  }

  Poco::Net::StreamSocket socket_;
  std::string buffer_;
  bool closed_ = false;
};

// An SSE response read incrementally over its own connection. Bytes that
// arrive together with the response head are decoded at once, so an event
// sent right behind the head is not held back until more bytes come.
class SseReader {
 public:
  struct Event {
    std::string id;
    std::string event;
    std::string data;
    std::optional<int> retry;
  };

  SseReader(uint16_t port, const std::string& method, const std::string& path, const Headers& headers,
            const std::string& body = {})
      : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) {
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    socket_.sendBytes(request.data(), static_cast<int>(request.size()));

    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    size_t end = std::string::npos;
    while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
      if (!receive(until)) return;
    }
    auto head = parseHead(raw_.substr(0, end));
    raw_.erase(0, end + 4);
    if (!head) return;
    status_ = head->status;
    headers_ = head->headers;
    for (const auto& [n, v] : headers_) {
      if (common::iequals(n, "Transfer-Encoding") && common::iequals(v, "chunked")) chunked_ = true;
    }
    decode();
  }
  ~SseReader() { close(); }

  int status() const { return status_; }
  std::optional<std::string> header(const std::string& name) const {
    for (const auto& [n, v] : headers_) {
      if (common::iequals(n, name)) return v;
    }
    return std::nullopt;
  }

  // The next event (comments skipped), or nullopt when the response ended or
  // nothing arrived within the bound.
  std::optional<Event> next(std::chrono::milliseconds bound = std::chrono::seconds(30)) {
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

  // The response body is over: its last chunk came, or the connection closed.
  bool ended() const { return ended_ || closed_; }

  void close() {
    try {
      socket_.close();
    } catch (const Poco::Exception&) {
    }
    closed_ = true;
  }

 private:
  bool receive(std::chrono::steady_clock::time_point until) {
    if (closed_) return false;
    char data[4096];
    while (std::chrono::steady_clock::now() < until) {
      try {
        if (!socket_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
        const int n = socket_.receiveBytes(data, sizeof data);
        if (n <= 0) {
          closed_ = true;
          return false;
        }
        raw_.append(data, static_cast<size_t>(n));
        return true;
      } catch (const Poco::Exception&) {
        closed_ = true;
        return false;
      }
    }
    return false;
  }

  // Moves complete chunks (or everything, unchunked) from raw_ to body_.
  void decode() {
    if (!chunked_) {
      body_ += raw_;
      raw_.clear();
      return;
    }
    while (!ended_) {
      const size_t lineEnd = raw_.find("\r\n");
      if (lineEnd == std::string::npos) return;
      const size_t size = std::stoul(raw_.substr(0, raw_.find_first_of(";\r")), nullptr, 16);
      if (size == 0) {
        ended_ = true;
        raw_.clear();
        return;
      }
      if (raw_.size() < lineEnd + 2 + size + 2) return;
      body_.append(raw_, lineEnd + 2, size);
      raw_.erase(0, lineEnd + 2 + size + 2);
    }
  }

  std::optional<std::string> nextLine(std::chrono::steady_clock::time_point until) {
    while (true) {
      const size_t end = body_.find('\n');
      if (end != std::string::npos) {
        std::string line = body_.substr(0, end);
        body_.erase(0, end + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (ended() || !receive(until)) return std::nullopt;
      decode();
    }
  }

  Poco::Net::StreamSocket socket_;
  int status_ = 0;
  Headers headers_;
  std::string raw_;   // received, not yet de-chunked
  std::string body_;  // decoded body bytes not yet consumed
  bool chunked_ = false;
  bool ended_ = false;
  bool closed_ = false;
};

}  // namespace portcullis::testing::http
