#pragma once
// HTTP upstreams. StreamableHttpTransport POSTs each message (Accept: JSON
// or an event stream) and reads every reply on a thread of its own, keeps
// the Mcp-Session-Id of a 2025 session and listens on the session's GET
// stream. LegacySseTransport speaks the 2024-11-05 HTTP+SSE transport: one
// GET event stream that names the endpoint to POST to. Redirects are never
// followed, bodies are capped, idle keep-alive connections are pooled.

#include <atomic>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/URI.h>

#include "settings.hpp"
#include "transport.hpp"

namespace portcullis::mcp_upstream {

// The initialize POST got 404 or 405: the upstream may speak HTTP+SSE.
class NotStreamableHttp : public UpstreamError {
 public:
  using UpstreamError::UpstreamError;
};

class HttpEndpoint {
 public:
  HttpEndpoint(const Settings& settings, const std::string& url);

  std::unique_ptr<Poco::Net::HTTPClientSession> acquire(Millis receiveTimeout);
  void release(std::unique_ptr<Poco::Net::HTTPClientSession> session);
  const Poco::URI& uri() const { return uri_; }
  std::string target(const Poco::URI& uri) const;
  const Settings& settings() const { return settings_; }

 private:
  const Settings& settings_;
  Poco::URI uri_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle_;
};

// Background threads that read replies; joined when the transport closes.
class ReaderThreads {
 public:
  ~ReaderThreads() { joinAll(); }
  void start(std::function<void()> work);
  void joinAll();

 private:
  struct Reader {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void reapFinished();
  std::mutex mutex_;
  std::list<Reader> readers_;
};

class StreamableHttpTransport : public Transport {
 public:
  explicit StreamableHttpTransport(const Settings& settings) : endpoint_(settings, settings.url) {}
  ~StreamableHttpTransport() override { close(); }

  void open(Handlers handlers) override { handlers_ = std::move(handlers); }
  void send(const Json& message, const Headers& extra) override;
  void close() override;
  void setProtocolVersion(const std::string& version, bool stateless) override;
  bool abortRequest(const Json& id) override;
  std::string describe() const override {
    return "Streamable HTTP endpoint " + endpoint_.uri().toString();
  }

 private:
  void post(const Json& message, const Headers& extra, bool handshake);
  // Reads a reply stream; returns whether it carried the request's answer.
  bool readReplyStream(std::istream& in, const std::optional<Json>& related,
                       std::string& lastEventId);
  bool resume(const Json& id, std::string& lastEventId);
  void listenOnGetStream();
  void track(const Json& id, Poco::Net::HTTPClientSession* session);

  HttpEndpoint endpoint_;
  Handlers handlers_;
  std::mutex mutex_;
  std::string sessionId_;
  std::string protocolVersion_;
  bool stateless_ = false;
  std::atomic<bool> closing_{false};
  std::mutex getMutex_;
  Poco::Net::HTTPClientSession* getSession_ = nullptr;
  std::condition_variable closed_;
  std::thread getThread_;
  std::map<std::string, Poco::Net::HTTPClientSession*> active_;  // request id -> its connection
  ReaderThreads readers_;
};

class LegacySseTransport : public Transport {
 public:
  explicit LegacySseTransport(const Settings& settings) : endpoint_(settings, settings.url) {}
  ~LegacySseTransport() override { close(); }

  void open(Handlers handlers) override;
  void send(const Json& message, const Headers& extra) override;
  void close() override;
  std::string describe() const override {
    return "HTTP+SSE endpoint " + endpoint_.uri().toString();
  }

 private:
  HttpEndpoint endpoint_;
  Handlers handlers_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::string postTarget_;
  std::string failure_;
  std::atomic<bool> closing_{false};
  std::unique_ptr<Poco::Net::HTTPClientSession> stream_;
  std::thread streamThread_;
};

}  // namespace portcullis::mcp_upstream
