#pragma once
// Minimal HTTP clients for tests: one request/response, a raw exchange over
// a plain socket (for malformed or slow requests), and an SSE reader. Every
// read is bounded by a generous timeout so a broken server fails the test
// instead of hanging it; none of them measures speed.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/StreamSocket.h>

namespace portcullis::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::string> header(const std::string& name) const;
};

// The headers a Streamable HTTP client sends on every POST.
Headers mcpPostHeaders(const Headers& extra = {});

HttpResult request(uint16_t port, const std::string& method, const std::string& path,
                   const Headers& headers = {}, const std::string& body = {});

// Sends `raw` bytes and reads until the server closes the connection or the
// bound passes.
std::string rawExchange(uint16_t port, const std::string& raw,
                        std::chrono::milliseconds bound = std::chrono::seconds(30));

// An SSE response read incrementally over its own connection.
class SseStream {
 public:
  SseStream(uint16_t port, const std::string& method, const std::string& path, const Headers& headers,
            const std::string& body = {});

  int status() const { return status_; }
  std::optional<std::string> header(const std::string& name) const;

  struct Event {
    std::string id;
    std::string event;
    std::string data;
    std::optional<int> retry;
  };
  // The next event (comments are skipped), or nullopt when the stream ended
  // or nothing arrived within the bound.
  std::optional<Event> next(std::chrono::milliseconds bound = std::chrono::seconds(30));
  bool ended() const { return ended_; }
  void close();

 private:
  bool fill(std::chrono::steady_clock::time_point until);
  void decodeChunks();
  std::optional<std::string> nextLine(std::chrono::steady_clock::time_point until);

  Poco::Net::StreamSocket socket_;
  int status_ = 0;
  Headers headers_;
  std::string buffer_;  // decoded body bytes not yet consumed
  std::string raw_;     // received bytes not yet de-chunked
  bool chunked_ = false;
  bool ended_ = false;
};

}  // namespace portcullis::testing
