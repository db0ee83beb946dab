#pragma once
// Sends one request to the configured backend with Poco's client sessions:
// no redirects followed, a connect timeout, a deadline for the whole
// exchange, the reply cut off at a byte cap while it is read, and idle
// keep-alive sessions kept for reuse per scheme, host and port.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "request_mapping.hpp"
#include "response_mapping.hpp"

namespace Poco::Net {
class HTTPClientSession;
class Context;
}  // namespace Poco::Net

namespace portcullis::http {

struct BaseUrl {
  std::string scheme;  // "http" or "https"
  std::string host;
  uint16_t port = 0;
  std::string path;  // without a trailing "/"; empty for the root

  // Parses an absolute http(s) URL without user info, query or fragment.
  // Throws ConfigError saying what is wrong.
  static BaseUrl parse(const std::string& url);
  std::string origin() const;
};

struct ClientLimits {
  std::chrono::milliseconds connectTimeout{5'000};
  std::chrono::milliseconds requestTimeout{30'000};
  size_t maxResponseBytes = 1 << 20;
};

// A network failure, a timeout or a reply over the cap; the message is
// meant for the tool result.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpClient {
 public:
  HttpClient(BaseUrl base, ClientLimits limits);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const BaseUrl& base() const { return base_; }

  // Sends `request` with the static headers first and returns the reply.
  // Throws TransportError.
  IncomingResponse send(const OutgoingRequest& request,
                        const std::vector<std::pair<std::string, std::string>>& staticHeaders);

  // GETs an absolute URL once (an OpenAPI document at start-up), with the
  // same limits and no redirects. Throws TransportError.
  static IncomingResponse fetch(const std::string& url, ClientLimits limits);

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> takeSession();
  void giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session);

  BaseUrl base_;
  ClientLimits limits_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle_;
};

}  // namespace portcullis::http
