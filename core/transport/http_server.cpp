#include "core/transport/http_server.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>

#include "core/common/error.hpp"
#include "core/common/json.hpp"
#include "core/common/log.hpp"
#include "core/transport/tls.hpp"

namespace portcullis::transport {

using Clock = std::chrono::steady_clock;

class HttpServer::Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, HttpServer& server)
      : TCPServerConnection(socket), server_(server) {}

  void run() override {
    Poco::Net::StreamSocket& s = socket();
    try {
      s.setNoDelay(true);
    } catch (const Poco::Exception&) {
    }
    std::shared_ptr<TlsSession> tls;
    if (server_.options_.tls) {
      try {
        tls = std::make_shared<TlsSession>(server_.options_.tls, static_cast<int>(s.impl()->sockfd()));
      } catch (const std::exception& e) {
        common::logger("transport").error("%s", std::string(e.what()));
        return;
      }
    }
    Channel channel(s, tls);
    ConnectionReader reader(channel, server_.stopping_);
    // The handshake counts against the first request's deadline.
    if (!reader.handshake(Clock::now() + server_.options_.requestTimeout)) {
      channel.close();
      return;
    }
    std::string pending;
    bool first = true;
    const auto& options = server_.options_;
    while (true) {
      if (pending.empty()) {
        // Between keep-alive requests the wait is sliced so that the thread
        // is handed back as soon as the server has connections queued.
        const auto budget = first ? options.requestTimeout : options.keepAliveTimeout;
        auto yield = [this, first] { return !first && server_.queuedConnections() > 0; };
        if (reader.waitReadable(Clock::now() + budget, yield) != ConnectionReader::Result::Data) return;
      }
      const auto deadline = Clock::now() + options.requestTimeout;
      RequestHead head;
      ParseResult parsed;
      while (true) {
        parsed = parseRequestHead(pending, options.httpLimits, head);
        if (parsed.status != ParseResult::Status::NeedMore) break;
        const auto r = reader.readMore(pending, deadline);
        if (r == ConnectionReader::Result::TimedOut) {
          if (!pending.empty()) reject(reader, 408, "the request did not arrive in time");
          channel.close();
          return;
        }
        if (r != ConnectionReader::Result::Data) {
          channel.close();
          return;
        }
      }
      if (parsed.status == ParseResult::Status::Invalid) {
        reject(reader, parsed.httpStatus, parsed.problem);
        channel.close();
        return;
      }
      pending.erase(0, parsed.consumed);
      Exchange exchange(reader, std::move(head), pending, deadline, options.limits, options.serverHeader,
                        options.requestTimeout);
      serve(exchange);
      if (exchange.detached()) return;  // the stream hub owns the connection now
      if (!exchange.keepAlive()) {
        channel.close();
        return;
      }
      first = false;
    }
  }

 private:
  void serve(Exchange& exchange) {
    Handler* handler = server_.router_.find(exchange.path());
    try {
      if (handler != nullptr) {
        handler->handle(exchange);
      } else {
        exchange.respondJson(404, R"({"error":"not_found"})");
      }
    } catch (const std::exception& e) {
      common::logger("transport").error("%s %s failed: %s", exchange.method(), exchange.path(),
                                        std::string(e.what()));
      if (!exchange.responded()) {
        exchange.closeAfterResponse();
        exchange.respondJson(500, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error"}})");
      }
    }
    if (!exchange.responded()) exchange.respondEmpty(204);
  }

  // Answers a request that could not be parsed, then closes.
  static void reject(ConnectionReader& reader, int status, const std::string& problem) {
    common::logger("transport").debug("rejected request: %d %s", status, problem);
    std::string body = R"({"error":")";
    switch (status) {
      case 408: body += "request_timeout"; break;
      case 414: body += "uri_too_long"; break;
      case 431: body += "request_header_fields_too_large"; break;
      case 501: body += "not_implemented"; break;
      case 505: body += "http_version_not_supported"; break;
      default: body += "bad_request";
    }
    body += R"(","error_description":)";
    common::json::appendQuoted(body, problem);
    body += "}";
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) +
                      "\r\nDate: " + httpDate() + "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    reader.writeAll(out.data(), out.size(), Clock::now() + std::chrono::seconds(5));
  }

  HttpServer& server_;
};

class HttpServer::ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit ConnectionFactory(HttpServer& server) : server_(server) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, server_);
  }

 private:
  HttpServer& server_;
};

HttpServer::HttpServer(HttpServerOptions options, Router& router)
    : options_(std::move(options)), router_(router) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  // Plain TCP either way: TLS sessions are set up on each connection's own
  // thread (tls.hpp), so a slow handshake never holds up accepting.
  Poco::Net::ServerSocket socket;
  try {
    const Poco::Net::SocketAddress address(options_.host, options_.port);
    socket.bind(address, true, false);  // SO_REUSEADDR, not SO_REUSEPORT
    socket.listen(1024);
  } catch (const Poco::Exception& e) {
    throw common::StartupError("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + e.displayText());
  }
  Poco::Net::TCPServerParams::Ptr params = new Poco::Net::TCPServerParams;
  params->setMaxThreads(options_.threads);
  params->setMaxQueued(options_.maxQueued);
  params->setThreadIdleTime(Poco::Timespan(60, 0));
  pool_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 2, 60);
  server_ = std::make_unique<Poco::Net::TCPServer>(new ConnectionFactory(*this), *pool_, socket, params);
  server_->start();
}

void HttpServer::stop() {
  stopping_ = true;
  if (server_) {
    server_->stop();
    server_.reset();
  }
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
}

uint16_t HttpServer::port() const { return server_ ? server_->port() : 0; }
int HttpServer::currentThreads() const { return server_ ? server_->currentThreads() : 0; }
int HttpServer::queuedConnections() const { return server_ ? server_->queuedConnections() : 0; }

}  // namespace portcullis::transport
