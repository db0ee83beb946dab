// Limits the connection loop enforces, over real sockets: the body cap
// (Content-Length and chunked), the whole-request deadline, and keep-alive
// that hands its thread back when other connections wait for one.
//
// Waits are bounded generously and nothing asserts how fast the server is:
// where a test needs "before the request deadline", the deadline is set far
// beyond the bound the test waits.

#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "tests/integration/http_support.hpp"

namespace portcullis::testing::http {
namespace {

constexpr size_t kCap = 2048;
constexpr auto kBound = std::chrono::seconds(60);

// The head of an MCP POST; `extra` holds more header lines, each ending in CRLF.
std::string postHead(uint16_t port, const std::string& extra) {
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" + extra + "\r\n";
}

std::string chunk(const std::string& data) {
  std::ostringstream size;
  size << std::hex << data.size();
  return size.str() + "\r\n" + data + "\r\n";
}

// A stateless demo_echo call whose body is exactly `size` bytes long.
std::string echoBodyOfSize(size_t size) {
  const std::string empty = modernRequest("1", "tools/call", R"({"name":"demo_echo","arguments":{"text":""}})");
  EXPECT_LE(empty.size(), size);
  const std::string text(size - empty.size(), 'x');
  std::string body =
      modernRequest("1", "tools/call", R"({"name":"demo_echo","arguments":{"text":")" + text + R"("}})");
  EXPECT_EQ(body.size(), size);
  return body;
}

::testing::AssertionResult isTransportError(const RawResponse& r) {
  json::ObjectPtr o;
  try {
    o = json::parseObject(r.body);
  } catch (const std::exception&) {
    return ::testing::AssertionFailure() << "not JSON: " << r.body;
  }
  auto error = json::getObject(o, "error");
  if (!error || !json::getInt(error, "code") || !json::getString(error, "message")) {
    return ::testing::AssertionFailure() << "not a JSON-RPC error: " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------
// Body cap

class integration_http_BodyLimit : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig(
        "server:\n"
        "  max_body_bytes: 2048\n"
        "  request_timeout: 5m\n"
        "  keep_alive_timeout: 5m\n"));
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }

  inline static std::unique_ptr<TestGateway> gateway_;
};

TEST_F(integration_http_BodyLimit, BodyAtTheCapIsServed) {
  const std::string body = echoBodyOfSize(kCap);
  const size_t textSize =
      kCap - modernRequest("1", "tools/call", R"({"name":"demo_echo","arguments":{"text":""}})").size();
  const HttpResult r = request(port(), "POST", "/mcp", modernHeaders("tools/call", "demo_echo"), body);
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(firstText(resultOf(r.body, "1")), std::string(textSize, 'x'));
}

TEST_F(integration_http_BodyLimit, ContentLengthOverCapIs413WithoutReadingTheBody) {
  // Only the head is sent: a server that waited for the body would wait for
  // the request deadline (5 minutes), far past the bound.
  for (const size_t length : {kCap + 1, size_t{1'000'000}, size_t{1} << 40}) {
    SCOPED_TRACE(length);
    RawConnection c(port());
    ASSERT_TRUE(c.send(postHead(port(), "Content-Length: " + std::to_string(length) + "\r\n")));
    const auto r = c.readResponse(kBound);
    ASSERT_TRUE(r) << "no response; received: " << c.pending();
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(isTransportError(*r));
    EXPECT_TRUE(common::iequals(r->header("Connection").value_or(""), "close"))
        << r->header("Connection").value_or("<no Connection header>");
    EXPECT_TRUE(c.closedByPeer(kBound)) << "the connection stays open after 413";
  }
}

TEST_F(integration_http_BodyLimit, ChunkedBodyUnderCapIsServed) {
  const std::string body =
      modernRequest("1", "tools/call", R"({"name":"demo_echo","arguments":{"text":"chunked"}})");
  ASSERT_LT(body.size(), kCap);
  RawConnection c(port());
  const size_t third = body.size() / 3;
  ASSERT_TRUE(c.send(postHead(port(), "Transfer-Encoding: chunked\r\nMCP-Protocol-Version: 2026-07-28\r\n"
                                      "Mcp-Method: tools/call\r\nMcp-Name: demo_echo\r\n") +
                     chunk(body.substr(0, third)) + chunk(body.substr(third, third)) + chunk(body.substr(2 * third)) +
                     "0\r\n\r\n"));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << c.pending();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(firstText(resultOf(r->body, "1")), "chunked");
}

TEST_F(integration_http_BodyLimit, ChunkedBodyOverCapIs413AndCloses) {
  std::string bytes = postHead(port(), "Transfer-Encoding: chunked\r\n");
  for (int i = 0; i < 8; ++i) bytes += chunk(std::string(1024, ' '));
  bytes += "0\r\n\r\n";
  RawConnection c(port());
  ASSERT_TRUE(c.send(bytes));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << c.pending();
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(isTransportError(*r));
  EXPECT_TRUE(c.closedByPeer(kBound)) << "the connection stays open after 413";
}

// The client is still sending (the terminating chunk never comes): the cap
// is passed after 3 KiB, and the answer must not wait for the end of the
// body or the request deadline (5 minutes, beyond the bound).
TEST_F(integration_http_BodyLimit, ChunkedBodyGrowingPastCapIs413BeforeItEnds) {
  std::string bytes = postHead(port(), "Transfer-Encoding: chunked\r\n");
  for (int i = 0; i < 3; ++i) bytes += chunk(std::string(1024, ' '));
  RawConnection c(port());
  ASSERT_TRUE(c.send(bytes));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << "no response while the chunked body was still open; received: " << c.pending();
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.closedByPeer(kBound));
}

TEST_F(integration_http_BodyLimit, ServerStillServesAfterRejections) {
  {
    RawConnection c(port());
    ASSERT_TRUE(c.send(postHead(port(), "Content-Length: 999999\r\n")));
    ASSERT_TRUE(c.readResponse(kBound));
  }
  const HttpResult r = request(port(), "POST", "/mcp", modernHeaders("tools/call", "demo_echo"),
                               modernRequest("2", "tools/call", R"({"name":"demo_echo","arguments":{"text":"ok"}})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(firstText(resultOf(r.body, "2")), "ok");
}

// ---------------------------------------------------------------------------
// Whole-request deadline

class integration_http_Deadline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig(
        "server:\n"
        "  request_timeout: 500ms\n"
        "  keep_alive_timeout: 5m\n"));
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }

  inline static std::unique_ptr<TestGateway> gateway_;
};

TEST_F(integration_http_Deadline, StalledBodyGets408AndTheConnectionCloses) {
  RawConnection c(port());
  ASSERT_TRUE(c.send(postHead(port(), "Content-Length: 100\r\n") + R"({"jsonrpc")"));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << "no response; received: " << c.pending();
  EXPECT_EQ(r->status, 408) << r->body;
  EXPECT_TRUE(c.closedByPeer(kBound));
}

TEST_F(integration_http_Deadline, StalledChunkedBodyGets408) {
  RawConnection c(port());
  ASSERT_TRUE(c.send(postHead(port(), "Transfer-Encoding: chunked\r\n") + chunk(R"({"jsonrpc":"2.0",)")));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << "no response; received: " << c.pending();
  EXPECT_EQ(r->status, 408) << r->body;
  EXPECT_TRUE(c.closedByPeer(kBound));
}

TEST_F(integration_http_Deadline, StalledHeadersGet408AndTheConnectionCloses) {
  RawConnection c(port());
  ASSERT_TRUE(c.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port()) + "\r\nContent-Ty"));
  const auto r = c.readResponse(kBound);
  ASSERT_TRUE(r) << "no response; received: " << c.pending();
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(c.closedByPeer(kBound));
}

TEST_F(integration_http_Deadline, SilentConnectionIsClosed) {
  RawConnection c(port());
  EXPECT_TRUE(c.closedByPeer(kBound));
}

TEST_F(integration_http_Deadline, PromptRequestsAreUnaffected) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("1", "tools/call", R"({"name":"test_tool_with_progress","arguments":{}})"));
  EXPECT_EQ(r.status, 200) << r.body;
  resultOf(r.body, "1");
}

// ---------------------------------------------------------------------------
// Keep-alive fairness

class integration_http_KeepAlive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // An idle keep-alive connection may hold its thread for ten minutes
    // unless the server hands the thread back to waiting connections.
    gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig(
        "server:\n"
        "  threads: 4\n"
        "  keep_alive_timeout: 10m\n"));
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }

  inline static std::unique_ptr<TestGateway> gateway_;
};

struct KeepAliveClient {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  int completed = 0;
  int retries = 0;
  std::vector<std::string> failures;
};

// One stateless demo_echo call. A reused connection the server closed while
// idle is retried once on a fresh one, as any HTTP client does; a fresh
// connection gets no second chance.
void echoOnce(KeepAliveClient& client, uint16_t port, const std::string& text, bool reused) {
  const std::string body = modernRequest("1", "tools/call", R"({"name":"demo_echo","arguments":{"text":")" + text + R"("}})");
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/mcp", Poco::Net::HTTPMessage::HTTP_1_1);
      req.setHost("127.0.0.1", port);
      for (const auto& [name, value] : modernHeaders("tools/call", "demo_echo")) req.set(name, value);
      req.setKeepAlive(true);
      req.setContentLength(static_cast<std::streamsize>(body.size()));
      client.session->sendRequest(req) << body;
      Poco::Net::HTTPResponse response;
      std::istream& in = client.session->receiveResponse(response);
      std::ostringstream out;
      Poco::StreamCopier::copyStream(in, out);
      if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
        client.failures.push_back(text + ": status " + std::to_string(response.getStatus()));
        return;
      }
      json::ObjectPtr reply;
      try {
        reply = json::parseObject(out.str());
      } catch (const std::exception&) {
      }
      auto result = reply ? json::getObject(reply, "result") : nullptr;
      if (!result || firstText(result) != text) {
        client.failures.push_back(text + ": wrong reply " + out.str());
        return;
      }
      ++client.completed;
      return;
    } catch (const Poco::TimeoutException&) {
      client.failures.push_back(text + ": no answer within the bound");
      return;
    } catch (const Poco::Exception& e) {
      if (!reused || attempt > 0) {
        client.failures.push_back(text + ": " + e.displayText());
        return;
      }
      ++client.retries;
      client.session->reset();
    }
  }
}

TEST_F(integration_http_KeepAlive, QueuedConnectionsAreServedWhileOthersIdle) {
  constexpr int kClients = 8;
  std::vector<KeepAliveClient> clients(kClients);
  for (auto& c : clients) {
    c.session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port());
    c.session->setTimeout(Poco::Timespan(60, 0));
    c.session->setKeepAlive(true);
    c.session->setKeepAliveTimeout(Poco::Timespan(600, 0));
  }
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
      threads.emplace_back([&, i] {
        echoOnce(clients[i], port(), "client-" + std::to_string(i) + "-round-" + std::to_string(round), round > 0);
      });
    }
    for (auto& t : threads) t.join();
  }
  int completed = 0;
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE("client " + std::to_string(i));
    for (const auto& f : clients[i].failures) ADD_FAILURE() << f;
    EXPECT_EQ(clients[i].completed, 2);
    completed += clients[i].completed;
  }
  EXPECT_EQ(completed, 2 * kClients);
}

}  // namespace
}  // namespace portcullis::testing::http
