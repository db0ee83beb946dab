#include "core/transport/http_server.hpp"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>

#include "core/common/error.hpp"
#include "core/common/log.hpp"

namespace portcullis::transport {

namespace {

// HTTPServerSession with the read buffer visible, to tell a pipelined
// request (already buffered) from an idle connection.
class ServerSession : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  bool hasBuffered() const { return buffered() > 0; }
};

void sendSimple(Poco::Net::HTTPServerSession& session, Poco::Net::HTTPResponse::HTTPStatus status) {
  try {
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setStatusAndReason(status);
    response.setKeepAlive(false);
    response.setContentLength(0);
    response.send();
  } catch (const Poco::Exception&) {
  }
  session.setKeepAlive(false);
}

}  // namespace

class HttpServer::ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  ConnectionFactory(HttpServer& server, Poco::Net::HTTPServerParams::Ptr params)
      : server_(server), params_(std::move(params)) {}

  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, server_, params_);
  }

 private:
  class Connection : public Poco::Net::TCPServerConnection {
   public:
    Connection(const Poco::Net::StreamSocket& socket, HttpServer& server,
               Poco::Net::HTTPServerParams::Ptr params)
        : TCPServerConnection(socket), server_(server), params_(std::move(params)) {}

    void run() override {
      ServerSession session(socket(), params_);
      bool first = true;
      while (waitForRequest(session, first)) {
        first = false;
        const uint64_t deadline = server_.watchdog_.arm(socket(), server_.options_.requestTimeout);
        const bool keepGoing = serveOne(session, deadline);
        server_.watchdog_.forget(deadline);
        if (!keepGoing) break;
      }
    }

   private:
    // Waits for the next request. Between keep-alive requests the wait is
    // sliced so that the thread is handed back as soon as the server has
    // connections queued for want of a thread.
    bool waitForRequest(ServerSession& session, bool first) {
      if (!session.socket().impl()->initialized()) return false;
      try {
        if (!first && !session.getKeepAlive()) return false;
        if (session.hasBuffered()) return true;
        const auto budget = first ? server_.options_.requestTimeout : server_.options_.keepAliveTimeout;
        const auto until = std::chrono::steady_clock::now() + budget;
        while (!server_.stopping_ && std::chrono::steady_clock::now() < until) {
          if (session.socket().poll(Poco::Timespan(0, 100'000), Poco::Net::Socket::SELECT_READ)) return true;
          if (!first && server_.queuedConnections() > 0) return false;
        }
      } catch (const Poco::Exception&) {
      }
      return false;
    }

    bool serveOne(ServerSession& session, uint64_t deadline) {
      try {
        Poco::Net::HTTPServerResponseImpl response(session);
        Poco::Net::HTTPServerRequestImpl request(response, session, params_);
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(params_->getKeepAlive() && request.getKeepAlive());
        response.set("Server", server_.options_.serverHeader);
        if (request.getExpectContinue()) response.sendContinue();
        Exchange exchange(request, response, server_.options_.limits, server_.watchdog_, deadline);
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
        if (exchange.detached()) return false;
        if (!exchange.responded()) exchange.respondEmpty(204);
        session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive());
        return session.getKeepAlive();
      } catch (const Poco::Net::NoMessageException&) {
        return false;
      } catch (const Poco::Net::MessageException& e) {
        common::logger("transport").debug("malformed request: %s", e.displayText());
        sendSimple(session, server_.watchdog_.expired(deadline)
                                ? Poco::Net::HTTPResponse::HTTP_REQUEST_TIMEOUT
                                : Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
        return false;
      } catch (const Poco::Exception&) {
        if (server_.watchdog_.expired(deadline)) {
          sendSimple(session, Poco::Net::HTTPResponse::HTTP_REQUEST_TIMEOUT);
        }
        return false;
      }
    }

    HttpServer& server_;
    Poco::Net::HTTPServerParams::Ptr params_;
  };

  HttpServer& server_;
  Poco::Net::HTTPServerParams::Ptr params_;
};

HttpServer::HttpServer(HttpServerOptions options, Router& router)
    : options_(std::move(options)), router_(router) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Poco::Net::ServerSocket socket;
  try {
    const Poco::Net::SocketAddress address(options_.host, options_.port);
    socket.bind(address, true);
    socket.listen(1024);
  } catch (const Poco::Exception& e) {
    throw common::StartupError("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + ": " + e.displayText());
  }
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options_.threads);
  params->setMaxQueued(options_.maxQueued);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(options_.keepAliveTimeout.count() * 1000));
  params->setTimeout(Poco::Timespan(options_.requestTimeout.count() * 1000));
  params->setThreadIdleTime(Poco::Timespan(60, 0));
  params->setServerName(options_.serverHeader);
  params->setSoftwareVersion(options_.serverHeader);
  Poco::Net::TCPServerParams::Ptr tcpParams = params;
  pool_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 2, 60);
  server_ = std::make_unique<Poco::Net::TCPServer>(new ConnectionFactory(*this, params), *pool_,
                                                   socket, tcpParams);
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
