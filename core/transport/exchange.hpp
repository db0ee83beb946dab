#pragma once
// One HTTP request and its response, as handlers see them: headers, a body
// read under the size cap and deadline, a plain response, or a detached
// socket for a stream.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/StreamSocket.h>

namespace portcullis::transport {

class DeadlineWatchdog;

struct ExchangeLimits {
  size_t maxBodyBytes = 4 * 1024 * 1024;
};

class Exchange {
 public:
  Exchange(Poco::Net::HTTPServerRequestImpl& request, Poco::Net::HTTPServerResponseImpl& response,
           const ExchangeLimits& limits, DeadlineWatchdog& watchdog, uint64_t deadline);

  const std::string& method() const { return request_.getMethod(); }
  const std::string& path() const { return path_; }
  std::optional<std::string> query(const std::string& name) const;
  // The header's value, or nullopt when absent. Names are case-insensitive.
  std::optional<std::string> header(const std::string& name) const;
  bool http11() const;
  std::string peer() const;

  // The body, or nullopt after answering 413/400/408 itself.
  std::optional<std::string> readBody();

  // Headers for the response (plain or streamed).
  void setHeader(const std::string& name, const std::string& value);
  void respond(int status, const std::string& contentType, const std::string& body);
  void respondJson(int status, const std::string& body) { respond(status, "application/json", body); }
  void respondEmpty(int status);
  bool responded() const { return responded_; }

  // Takes the connection out of the HTTP server for a long-lived stream. The
  // returned head (status line and headers, chunked when HTTP/1.1) is to be
  // written first.
  Poco::Net::StreamSocket detach(int status, const std::string& contentType, std::string& head);
  bool detached() const { return detached_; }

  // The request has been read: later slowness is the handler's, not the client's.
  void requestReceived();

  // After this response the connection is closed (body left unread, ...).
  void closeAfterResponse() { response_.setKeepAlive(false); }

 private:
  Poco::Net::HTTPServerRequestImpl& request_;
  Poco::Net::HTTPServerResponseImpl& response_;
  const ExchangeLimits& limits_;
  DeadlineWatchdog& watchdog_;
  uint64_t deadline_;
  std::string path_;
  std::string rawQuery_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool responded_ = false;
  bool bodyRead_ = false;
  bool detached_ = false;
};

}  // namespace portcullis::transport
