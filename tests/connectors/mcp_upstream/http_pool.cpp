// The Streamable HTTP transport against a local upstream that answers each
// POST after a pause: the connections it opens stay within the pool however
// many requests are in flight, every request is answered, and a request
// still waiting for a connection can be withdrawn without reaching the
// upstream.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "http_transport.hpp"

using namespace portcullis::mcp_upstream;

namespace {

// Answers every JSON-RPC request with an empty result after `pause`.
class SlowUpstream {
 public:
  // `idleClose`: how long a keep-alive connection may idle before the server closes it.
  explicit SlowUpstream(std::chrono::milliseconds pause,
                        std::chrono::milliseconds idleClose = std::chrono::seconds(10))
      : socket_(0) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(idleClose.count() * 1000));
    params->setMaxKeepAliveRequests(0);  // unlimited
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this, pause), socket_, params);
    server_->start();
  }
  ~SlowUpstream() { server_->stopAll(true); }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/mcp";
  }
  int maxConnections() const { return server_->maxConcurrentConnections(); }
  std::set<std::string> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    Handler(SlowUpstream& owner, std::chrono::milliseconds pause) : owner_(owner), pause_(pause) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      std::string body(std::istreambuf_iterator<char>(request.stream()), {});
      const Json message = Json::parse(body);
      {
        std::lock_guard lock(owner_.mutex_);
        owner_.seen_.insert(message["id"].dump());
      }
      std::this_thread::sleep_for(pause_);
      const std::string reply =
          Json{{"jsonrpc", "2.0"}, {"id", message["id"]}, {"result", Json::object()}}.dump();
      response.setContentType("application/json");
      response.setContentLength(static_cast<std::streamsize>(reply.size()));
      response.setKeepAlive(true);
      response.send() << reply;
    }

   private:
    SlowUpstream& owner_;
    std::chrono::milliseconds pause_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    Factory(SlowUpstream& owner, std::chrono::milliseconds pause) : owner_(owner), pause_(pause) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_, pause_);
    }

   private:
    SlowUpstream& owner_;
    std::chrono::milliseconds pause_;
  };

  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mutex_;
  std::set<std::string> seen_;
};

// Collects what the transport hands back.
struct Replies {
  std::mutex mutex;
  std::condition_variable changed;
  std::set<std::string> answered;
  std::set<std::string> failed;

  Transport::Handlers handlers() {
    Transport::Handlers h;
    h.inbound = [this](const Json& m, const std::optional<Json>&) {
      std::lock_guard lock(mutex);
      answered.insert(m["id"].dump());
      changed.notify_all();
    };
    h.requestFailed = [this](const Json& id, const std::string&) {
      std::lock_guard lock(mutex);
      failed.insert(id.dump());
      changed.notify_all();
    };
    h.lost = [](const std::string&) {};
    h.log = [](portcullis::sdk::LogLevel, const std::string&) {};
    h.released = [](const Json&) {};
    return h;
  }
  bool waitFor(size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(20),
                            [&] { return answered.size() + failed.size() >= count; });
  }
};

Json request(int id) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", Json::object()}};
}

Settings settingsFor(const std::string& url, size_t pool) {
  Settings s;
  s.url = url;
  s.transport = TransportKind::StreamableHttp;
  s.pool = pool;
  return s;
}

// An upstream with the given pause and a transport to it with the given pool.
struct Rig {
  Rig(std::chrono::milliseconds pause, size_t pool,
      std::chrono::milliseconds idleClose = std::chrono::seconds(10))
      : upstream(pause, idleClose), settings(settingsFor(upstream.url(), pool)), transport(settings) {
    transport.open(replies.handlers());
  }
  SlowUpstream upstream;
  Settings settings;
  Replies replies;
  StreamableHttpTransport transport;
};

}  // namespace

TEST(HttpPool, ConnectionsStayWithinThePoolAndEveryRequestIsAnswered) {
  Rig rig(std::chrono::milliseconds(20), 3);
  constexpr int kRequests = 24;
  for (int i = 0; i < kRequests; ++i) rig.transport.send(request(i), {});
  ASSERT_TRUE(rig.replies.waitFor(kRequests));
  rig.transport.close();
  EXPECT_EQ(rig.replies.answered.size(), static_cast<size_t>(kRequests));
  EXPECT_TRUE(rig.replies.failed.empty());
  EXPECT_GE(rig.upstream.maxConnections(), 2);  // requests did run side by side
  EXPECT_LE(rig.upstream.maxConnections(), 3);
}

TEST(HttpPool, AWaitingRequestIsWithdrawnWithoutReachingTheUpstream) {
  Rig rig(std::chrono::milliseconds(300), 1);
  rig.transport.send(request(1), {});  // holds the only connection for a while
  rig.transport.send(request(2), {});  // waits for it
  EXPECT_TRUE(rig.transport.abortRequest(2));
  ASSERT_TRUE(rig.replies.waitFor(1));
  rig.transport.close();
  EXPECT_EQ(rig.replies.answered, std::set<std::string>{"1"});
  EXPECT_EQ(rig.upstream.seen(), std::set<std::string>{"1"});
}

TEST(HttpPool, RequestsStillWaitingWhenTheTransportClosesFail) {
  Rig rig(std::chrono::milliseconds(300), 1);
  for (int i = 1; i <= 3; ++i) rig.transport.send(request(i), {});
  rig.transport.close();
  std::lock_guard lock(rig.replies.mutex);
  EXPECT_EQ(rig.replies.answered.size() + rig.replies.failed.size(), 3u);
  EXPECT_TRUE(rig.replies.failed.count("3"));
  EXPECT_FALSE(rig.upstream.seen().count("3"));
}

TEST(HttpPool, AConnectionTheUpstreamClosedWhileIdleIsNotReused) {
  Rig rig(std::chrono::milliseconds(0), 2, std::chrono::milliseconds(100));
  rig.transport.send(request(1), {});
  ASSERT_TRUE(rig.replies.waitFor(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the upstream closes it
  rig.transport.send(request(2), {});
  ASSERT_TRUE(rig.replies.waitFor(2));
  rig.transport.close();
  EXPECT_EQ(rig.replies.answered, (std::set<std::string>{"1", "2"}));
}
