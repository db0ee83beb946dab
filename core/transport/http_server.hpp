#pragma once
// The HTTP server: Poco's TCPServer accepts connections and runs each on a
// pool thread; our connection loop parses requests itself (http_message.hpp)
// and adds what Poco's HTTPServer lacks: whole-request deadlines, header
// values kept byte for byte, and keep-alive that hands its thread back as
// soon as another client is waiting, so no idle keep-alive connection
// starves a new one. See docs/adr/0003 and 0005.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include "core/transport/exchange.hpp"

namespace portcullis::transport {

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void handle(Exchange& exchange) = 0;
};

// Exact paths first, then the longest matching prefix, then the fallback.
class Router {
 public:
  void add(const std::string& path, Handler* handler) { routes_[path] = handler; }
  void addPrefix(const std::string& prefix, Handler* handler) { prefixes_.emplace_back(prefix, handler); }
  void setFallback(Handler* handler) { fallback_ = handler; }
  Handler* find(const std::string& path) const {
    if (auto it = routes_.find(path); it != routes_.end()) return it->second;
    Handler* best = nullptr;
    size_t length = 0;
    for (const auto& [prefix, handler] : prefixes_) {
      if (path.compare(0, prefix.size(), prefix) == 0 && prefix.size() > length) {
        best = handler;
        length = prefix.size();
      }
    }
    return best != nullptr ? best : fallback_;
  }

 private:
  std::unordered_map<std::string, Handler*> routes_;
  std::vector<std::pair<std::string, Handler*>> prefixes_;
  Handler* fallback_ = nullptr;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 64;
  int maxQueued = 256;
  std::chrono::milliseconds keepAliveTimeout{10'000};
  std::chrono::milliseconds requestTimeout{30'000};
  ExchangeLimits limits;
  HttpLimits httpLimits;
  std::string serverHeader = "portcullis";
  Poco::Net::Context::Ptr tls;  // set: serve HTTPS (tls.hpp)
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Router& router);
  ~HttpServer();

  void start();  // binds; throws common::StartupError when it cannot
  void stop();
  uint16_t port() const;  // the bound port (useful with port 0)
  int currentThreads() const;
  int queuedConnections() const;

 private:
  class ConnectionFactory;
  class Connection;
  HttpServerOptions options_;
  Router& router_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
};

}  // namespace portcullis::transport
