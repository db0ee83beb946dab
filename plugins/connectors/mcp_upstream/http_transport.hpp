#pragma once
// HTTP upstreams. StreamableHttpTransport POSTs each message (Accept: JSON
// or an event stream). A request goes out on the caller's thread when a
// connection is free, and a JSON reply that is ready at once is read there
// too; other replies are read on a thread of their own, and requests that
// find no free connection wait for one of a fixed set of worker threads (as
// many as the pool has connections). It keeps the Mcp-Session-Id of a 2025
// session and listens on the session's GET stream. LegacySseTransport speaks the 2024-11-05 HTTP+SSE transport: one
// GET event stream that names the endpoint to POST to. Redirects are never
// followed, bodies are capped, keep-alive connections are pooled and bounded.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "settings.hpp"
#include "transport.hpp"

namespace portcullis::mcp_upstream {

// The initialize POST got 404 or 405: the upstream may speak HTTP+SSE.
class NotStreamableHttp : public UpstreamError {
 public:
  using UpstreamError::UpstreamError;
};

// The connections to one upstream URL. At most `pool` pooled connections
// exist at once, idle or in use; acquire() waits for one to come free.
// Long-lived streams take a dedicated connection outside the pool.
class HttpEndpoint {
 public:
  // A connection on loan. Unless keep() was called, it is closed when the
  // lease ends (its reply may not have been read to the end).
  class Lease {
   public:
    Lease() = default;
    Lease(HttpEndpoint* owner, std::unique_ptr<Poco::Net::HTTPClientSession> session, bool pooled)
        : owner_(owner), session_(std::move(session)), pooled_(pooled) {}
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { reset(); }
    Poco::Net::HTTPClientSession* operator->() const { return session_.get(); }
    Poco::Net::HTTPClientSession* get() const { return session_.get(); }
    // The reply was read to its end: the connection may serve another request.
    void keep() { kept_ = true; }
    void reset();

   private:
    HttpEndpoint* owner_ = nullptr;
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    bool pooled_ = false;
    bool kept_ = false;
  };

  HttpEndpoint(const Settings& settings, const std::string& url);

  // A pooled connection; waits up to the request timeout for one to come
  // free. Throws UpstreamError on timeout or after stop().
  Lease acquire(Millis receiveTimeout);
  // A pooled connection if one is free at once, else an empty lease.
  Lease tryAcquire(Millis receiveTimeout);
  // A pooled connection when one is free at once, else a short-lived one
  // outside the pool: for answers and notifications, which must never wait
  // behind the calls they belong to.
  Lease acquireNow(Millis receiveTimeout);
  // A connection outside the pool for a long-lived event stream.
  Lease dedicated(Millis receiveTimeout);
  // Wakes every acquire() waiting; later ones fail.
  void stop();
  // The configured headers, the connector's own bearer token when it has
  // client credentials (fetched as needed; throws UpstreamError when the
  // token endpoint refuses), then `extra`.
  void applyHeaders(Poco::Net::HTTPRequest& request, const Headers& extra) const;
  // The upstream answered 401: the token held is not used again. Returns
  // whether there was one (the connector's credentials were refused).
  bool refused() const;

  const Poco::URI& uri() const { return uri_; }
  std::string target(const Poco::URI& uri) const;
  const Settings& settings() const { return settings_; }

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> connect() const;
  // Takes an idle connection or makes a new one if the pool has room; null when full.
  std::unique_ptr<Poco::Net::HTTPClientSession> takeLocked();
  Lease lend(std::unique_ptr<Poco::Net::HTTPClientSession> session, bool pooled,
             Millis receiveTimeout);
  void giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session, bool reuse);

  const Settings& settings_;
  Poco::URI uri_;
  std::mutex mutex_;
  std::condition_variable freed_;
  bool stopped_ = false;
  size_t open_ = 0;  // pooled connections, idle or lent
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle_;
};

// Runs request POSTs, each reading its reply to the end, on at most `limit`
// threads that are started as needed and then kept. A request waits in
// order for a free thread and a free connection of the endpoint; one that
// waited longer than the request timeout, or is still waiting when the
// transport closes, fails without being sent.
class RequestWorkers {
 public:
  struct Job {
    std::string key;  // the request id, for withdraw()
    std::function<void(HttpEndpoint::Lease)> run;  // with the connection to send it on
    std::function<void(const std::string& reason)> fail;
  };
  RequestWorkers(HttpEndpoint& endpoint, size_t limit, Millis maxWait)
      : endpoint_(endpoint), limit_(limit), maxWait_(maxWait) {}
  ~RequestWorkers() { stop(); }
  void submit(Job job);
  // Whether requests are waiting for a thread.
  bool waiting();
  // Removes a request that has not started; false when it has (or never was).
  bool withdraw(const std::string& key);
  // Fails the waiting requests and joins the threads after their current job.
  void stop();

 private:
  struct Queued {
    Job job;
    std::chrono::steady_clock::time_point since;
  };
  void work();

  HttpEndpoint& endpoint_;
  const size_t limit_;
  const Millis maxWait_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Queued> queue_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

// Threads of their own for long-lived reply streams (subscriptions/listen,
// replies that were not ready at once); joined when the transport closes.
class StreamThreads {
 public:
  ~StreamThreads() { joinAll(); }
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
  explicit StreamableHttpTransport(const Settings& settings)
      : endpoint_(settings, settings.url), workers_(endpoint_, settings.pool, settings.requestTimeout) {}
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
  // Which connection a POST uses.
  enum class Route {
    Pooled,     // a request: waits for a pooled connection
    Immediate,  // an answer or notification: never waits
    Stream      // a long-lived reply stream: a dedicated connection
  };
  // A POST on its way: the message, its connection and then its reply.
  struct Outgoing {
    Outgoing(StreamableHttpTransport* owner, const Json& message, bool handshake, Route route)
        : owner(owner),
          message(message),
          related(message.contains("method") && message.contains("id")
                      ? std::optional<Json>(message["id"])
                      : std::nullopt),
          handshake(handshake),
          route(route) {}
    ~Outgoing();
    StreamableHttpTransport* owner;
    Json message;
    std::optional<Json> related;  // the request id, for a request
    bool handshake;
    Route route;
    bool stateless = false;
    bool callerAuthorization = false;  // the request carries the caller's Authorization
    std::string sessionId;
    HttpEndpoint::Lease session;
    Poco::Net::HTTPResponse response;
    std::istream* in = nullptr;
  };
  // How long a caller that sent a request itself waits for its reply before
  // a thread takes over reading it.
  static constexpr Millis kInlineWait{10};

  HttpEndpoint::Lease connection(Route route, Millis receiveTimeout);
  void post(const Json& message, const Headers& extra, bool handshake, Route route);
  // Sends the request on `session` (throws UpstreamError).
  void begin(Outgoing& out, const Headers& extra, HttpEndpoint::Lease session);
  // Reads the reply's head and acts on its status.
  void receive(Outgoing& out);
  // Reads the reply's body or event stream and hands its messages on.
  void consume(Outgoing& out);
  static bool streams(const Outgoing& out);
  // The fast path of a request: with a connection free at once the caller
  // sends it and, when the reply is a JSON body ready within kInlineWait,
  // reads it too, sparing two thread hand-offs. False when not taken.
  bool sendInline(const Json& message, const Headers& extra);
  // Reads a reply stream; returns whether it carried the request's answer.
  // `ended` tells whether the stream reached its end (not stopped by close()).
  bool readReplyStream(std::istream& in, const std::optional<Json>& related,
                       std::string& lastEventId, bool* ended = nullptr);
  bool resume(const Json& id, std::string& lastEventId, Route route);
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
  RequestWorkers workers_;
  StreamThreads streams_;
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
  HttpEndpoint::Lease stream_;
  std::thread streamThread_;
};

}  // namespace portcullis::mcp_upstream
