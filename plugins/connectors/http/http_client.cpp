#include "http_client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <istream>
#include <ostream>

namespace portcullis::http {

namespace {

using Clock = std::chrono::steady_clock;

// Idle sessions kept per client; more than this many at once are closed.
constexpr size_t kMaxIdleSessions = 16;
// Below the usual server keep-alive timeouts (Node 5 s, nginx 75 s), so an
// idle session is rarely found closed by the other end.
constexpr int kIdleSeconds = 2;
constexpr size_t kReadChunk = 16 * 1024;

Poco::Timespan timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

Poco::Net::Context::Ptr clientTlsContext() {
  static const Poco::Net::Context::Ptr context = [] {
    Poco::Net::initializeSSL();
    // Verifies the server's chain against the system's CAs and its name.
    return Poco::Net::Context::Ptr(
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_RELAXED, 9,
                               true, "ALL:!ADH:!LOW:!EXP:!MD5:!3DES:@STRENGTH"));
  }();
  return context;
}

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) throw Poco::TimeoutException("deadline passed");
  return left;
}

}  // namespace

BaseUrl BaseUrl::parse(const std::string& url) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    throw ConfigError("\"" + url + "\" is not a URL: " + e.message());
  }
  BaseUrl base;
  base.scheme = uri.getScheme();
  if (base.scheme != "http" && base.scheme != "https") {
    throw ConfigError("\"" + url + "\" must be an absolute http:// or https:// URL");
  }
  if (uri.getHost().empty()) throw ConfigError("\"" + url + "\" has no host");
  if (!uri.getUserInfo().empty()) throw ConfigError("\"" + url + "\" may not carry user info; use headers");
  if (!uri.getRawQuery().empty() || !uri.getFragment().empty()) {
    throw ConfigError("\"" + url + "\" may not have a query or fragment");
  }
  base.host = uri.getHost();
  base.port = uri.getPort();
  base.path = uri.getPathEtc();
  while (!base.path.empty() && base.path.back() == '/') base.path.pop_back();
  return base;
}

std::string BaseUrl::origin() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return scheme + "://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HttpClient::HttpClient(BaseUrl base, ClientLimits limits) : base_(std::move(base)), limits_(limits) {
  if (base_.scheme == "https") clientTlsContext();
}

HttpClient::~HttpClient() = default;

std::unique_ptr<Poco::Net::HTTPClientSession> HttpClient::takeSession() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto session = std::move(idle_.back());
      idle_.pop_back();
      return session;
    }
  }
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (base_.scheme == "https") {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(base_.host, base_.port, clientTlsContext());
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(base_.host, base_.port);
  }
  session->setKeepAlive(true);
  session->setKeepAliveTimeout(Poco::Timespan(kIdleSeconds, 0));
  return session;
}

void HttpClient::giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdleSessions) idle_.push_back(std::move(session));
}

IncomingResponse HttpClient::send(const OutgoingRequest& request,
                                  const std::vector<std::pair<std::string, std::string>>& staticHeaders) {
  const auto deadline = Clock::now() + limits_.requestTimeout;
  // A reused session may have been closed by the server while idle; such a
  // request never reached it, so it is sent once more on a fresh session.
  for (int attempt = 0;; ++attempt) {
    auto session = takeSession();
    const bool reused = session->connected();
    bool responseStarted = false;
    try {
      session->setTimeout(timespan(limits_.connectTimeout), timespan(remaining(deadline)), timespan(remaining(deadline)));
      Poco::Net::HTTPRequest httpRequest(request.method, request.target, Poco::Net::HTTPMessage::HTTP_1_1);
      httpRequest.setHost(base_.host, base_.port);
      httpRequest.set("Accept", "application/json, */*;q=0.5");
      httpRequest.set("User-Agent", "portcullis-http-connector");
      for (const auto& [name, value] : staticHeaders) httpRequest.set(name, value);
      for (const auto& [name, value] : request.headers) httpRequest.set(name, value);
      if (!request.contentType.empty()) {
        httpRequest.setContentType(request.contentType);
        httpRequest.setContentLength(static_cast<std::streamsize>(request.body.size()));
      } else if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
        httpRequest.setContentLength(0);
      }
      std::ostream& out = session->sendRequest(httpRequest);
      out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
      out.flush();

      session->socket().setReceiveTimeout(timespan(remaining(deadline)));
      Poco::Net::HTTPResponse httpResponse;
      std::istream& in = session->receiveResponse(httpResponse);
      responseStarted = true;
      in.exceptions(std::ios::badbit);

      IncomingResponse response;
      response.status = static_cast<int>(httpResponse.getStatus());
      response.reason = httpResponse.getReason();
      response.contentType = httpResponse.getContentType();
      if (httpResponse.hasContentLength() &&
          httpResponse.getContentLength64() > static_cast<Poco::Int64>(limits_.maxResponseBytes)) {
        throw TransportError("the reply (" + std::to_string(httpResponse.getContentLength64()) +
                             " bytes) is larger than max_response_bytes (" +
                             std::to_string(limits_.maxResponseBytes) + ")");
      }
      char chunk[kReadChunk];
      for (;;) {
        session->socket().setReceiveTimeout(timespan(remaining(deadline)));
        in.read(chunk, sizeof chunk);
        const auto got = static_cast<size_t>(in.gcount());
        if (response.body.size() + got > limits_.maxResponseBytes) {
          throw TransportError("the reply is larger than max_response_bytes (" +
                               std::to_string(limits_.maxResponseBytes) + ")");
        }
        response.body.append(chunk, got);
        if (!in) break;
      }
      if (httpResponse.getKeepAlive()) giveBack(std::move(session));
      return response;
    } catch (const TransportError&) {
      throw;
    } catch (const Poco::TimeoutException&) {
      throw TransportError("no complete reply from " + base_.origin() + " within " +
                           std::to_string(limits_.requestTimeout.count()) + " ms");
    } catch (const Poco::Net::SSLException& e) {
      throw TransportError("TLS with " + base_.origin() + " failed: " + e.displayText());
    } catch (const Poco::Exception& e) {
      if (reused && !responseStarted && attempt == 0) {
        // The other idle sessions are as old as this one: start afresh.
        std::lock_guard lock(mutex_);
        idle_.clear();
        continue;
      }
      throw TransportError("request to " + base_.origin() + " failed: " + e.displayText());
    } catch (const std::ios::failure& e) {
      throw TransportError("reading the reply from " + base_.origin() + " failed: " + e.what());
    }
  }
}

IncomingResponse HttpClient::fetch(const std::string& url, ClientLimits limits) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    throw TransportError("\"" + url + "\" is not a URL: " + e.message());
  }
  if (uri.getScheme() != "http" && uri.getScheme() != "https") {
    throw TransportError("\"" + url + "\" must be an http:// or https:// URL");
  }
  if (!uri.getUserInfo().empty()) throw TransportError("\"" + url + "\" may not carry user info");
  BaseUrl base{uri.getScheme(), uri.getHost(), uri.getPort(), ""};
  HttpClient client(base, limits);
  OutgoingRequest request;
  request.method = "GET";
  request.target = uri.getPathEtc().empty() ? "/" : uri.getPathEtc();
  return client.send(request, {});
}

}  // namespace portcullis::http
