#pragma once
// One HTTP request and its response, as handlers see them: the request head
// exactly as sent, a body read under the size cap and the request's
// deadline, a plain response, or the socket itself for a long-lived stream.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/transport/channel.hpp"
#include "core/transport/http_message.hpp"

namespace portcullis::transport {

struct ExchangeLimits {
  size_t maxBodyBytes = 4 * 1024 * 1024;
};

// Reads from and writes to a connection with deadlines; shared by the
// connection loop (request heads) and Exchange (bodies, responses).
class ConnectionReader {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Result { Data, Closed, TimedOut, Stopped };

  ConnectionReader(Channel& channel, const std::atomic<bool>& stopping) : channel_(channel), stopping_(stopping) {}

  // Appends what arrives to `buffer`; waits at most until `deadline`.
  Result readMore(std::string& buffer, Clock::time_point deadline);
  // Waits until bytes can be read, the deadline passes, or (when yield is
  // set) the server has connections waiting for a thread.
  Result waitReadable(Clock::time_point deadline, const std::function<bool()>& yield);
  // Writes every byte, waiting at most until `deadline`. False when the
  // connection failed or the deadline passed.
  bool writeAll(const char* data, size_t size, Clock::time_point deadline);
  // Completes the TLS handshake (if any) by `deadline`.
  bool handshake(Clock::time_point deadline);

  Channel& channel() { return channel_; }

 private:
  // Waits in slices (watching `stopping`) until the socket is ready to read
  // or write; TimedOut at the deadline.
  Result waitFor(Channel::Wait wait, Clock::time_point deadline);

  Channel& channel_;
  const std::atomic<bool>& stopping_;
};

class Exchange {
 public:
  // sendBound: how long writing one response may take.
  Exchange(ConnectionReader& reader, RequestHead head,
           std::string& pending, ConnectionReader::Clock::time_point deadline,
           const ExchangeLimits& limits, const std::string& serverHeader,
           std::chrono::milliseconds sendBound = std::chrono::milliseconds(30'000));

  const std::string& method() const { return head_.method; }
  const std::string& path() const { return path_; }
  std::optional<std::string> query(const std::string& name) const;
  // The header's value as sent, or nullopt. Names are case-insensitive.
  std::optional<std::string> header(const std::string& name) const { return head_.header(name); }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return head_.headers; }
  const std::string& rawQuery() const { return rawQuery_; }
  bool http11() const { return head_.http11; }
  std::string peer() const;      // address:port
  std::string peerHost() const;  // address only

  // The body, or nullopt after answering 413/400/408 itself.
  std::optional<std::string> readBody();

  // Headers for the response (plain or streamed).
  void setHeader(const std::string& name, const std::string& value);
  void respond(int status, const std::string& contentType, const std::string& body);
  void respondJson(int status, const std::string& body) { respond(status, "application/json", body); }
  void respondEmpty(int status);
  bool responded() const { return responded_; }

  // Takes the connection out of the HTTP server for a long-lived stream. The
  // returned head (status line and headers, chunked for HTTP/1.1) is to be
  // written first by whoever owns the channel next.
  Channel detach(int status, const std::string& contentType, std::string& head);
  bool detached() const { return detached_; }

  // After this response the connection is closed.
  void closeAfterResponse() { keepAlive_ = false; }
  // Whether the connection can carry another request after this one.
  bool keepAlive() const { return keepAlive_ && !detached_ && !failed_; }

 private:
  bool bodyPending() const;
  void send(const std::string& bytes);

  ConnectionReader& reader_;
  RequestHead head_;
  std::string& pending_;  // bytes received past the head (body, next request)
  ConnectionReader::Clock::time_point deadline_;
  const ExchangeLimits& limits_;
  const std::string& serverHeader_;
  std::chrono::milliseconds sendBound_;
  std::string path_;
  std::string rawQuery_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool responded_ = false;
  bool detached_ = false;
  bool bodyRead_ = false;
  bool keepAlive_ = true;
  bool failed_ = false;
};

// The current time as an HTTP date (IMF-fixdate), cached per second.
const std::string& httpDate();

}  // namespace portcullis::transport
