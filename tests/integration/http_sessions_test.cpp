// Sessions of the 2025 revisions (2025-11-25, 2025-06-18, 2025-03-26) over
// real HTTP: initialize and version negotiation, the Mcp-Session-Id and
// MCP-Protocol-Version rules, DELETE, the single GET stream, batches (only
// 2025-03-26) and notifications.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/http_support.hpp"

namespace portcullis::testing::http {
namespace {

class integration_http_Sessions : public ::testing::Test {
 protected:
  // Heartbeats are pushed out of reach so that an event the server fails to
  // flush shows as a missing event, not as one that comes with a keepalive.
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig("streams:\n  heartbeat: 10m\n"));
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }

  inline static std::unique_ptr<TestGateway> gateway_;
};

bool visibleAscii(const std::string& s) {
  for (const unsigned char c : s) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

Headers getHeaders(const LegacySession& s, const Headers& extra = {}) {
  Headers h{{"Accept", "text/event-stream"}, {"Mcp-Session-Id", s.id}};
  if (s.version >= "2025-06-18") h.emplace_back("MCP-Protocol-Version", s.version);
  for (const auto& e : extra) h.push_back(e);
  return h;
}

// ---------------------------------------------------------------------------
// initialize

TEST_F(integration_http_Sessions, InitializeIssuesSessionIdAndEchoesSupportedVersion) {
  for (const std::string& version : std::vector<std::string>{"2025-11-25", "2025-06-18", "2025-03-26"}) {
    SCOPED_TRACE(version);
    const HttpResult r = request(port(), "POST", "/mcp", mcpPostHeaders(), initializeBody(version, "0"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(isJsonResponse(r));
    const auto id = r.header("Mcp-Session-Id");
    ASSERT_TRUE(id);
    EXPECT_GE(id->size(), 32u) << *id;
    EXPECT_TRUE(visibleAscii(*id)) << *id;
    const json::ObjectPtr result = resultOf(r.body, "0");
    EXPECT_EQ(json::getString(result, "protocolVersion"), std::optional<std::string>(version));
    EXPECT_TRUE(json::getObject(result, "capabilities"));
    auto info = json::getObject(result, "serverInfo");
    ASSERT_TRUE(info);
    EXPECT_TRUE(json::getString(info, "name"));
    EXPECT_TRUE(json::getString(info, "version"));
  }
}

TEST_F(integration_http_Sessions, EachInitializeGetsADistinctSession) {
  const LegacySession a = openSession(port());
  const LegacySession b = openSession(port());
  EXPECT_FALSE(a.id.empty());
  EXPECT_NE(a.id, b.id);
}

TEST_F(integration_http_Sessions, UnknownRequestedVersionNegotiatesLatest) {
  for (const std::string& version : std::vector<std::string>{"1999-01-01", "2030-01-01", "2026-07-28-draft"}) {
    SCOPED_TRACE(version);
    const HttpResult r = request(port(), "POST", "/mcp", mcpPostHeaders(), initializeBody(version, "\"init\""));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::getString(resultOf(r.body, "\"init\""), "protocolVersion"),
              std::optional<std::string>(kLatestLegacy));
    EXPECT_TRUE(r.header("Mcp-Session-Id"));
  }
}

TEST_F(integration_http_Sessions, InitializeOnExistingSessionIsRejected) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(initializeBody(kLatestLegacy, "5"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32600, "5"));
  // The session itself is unharmed.
  EXPECT_EQ(s.post(rpcRequest("6", "ping")).status, 200);
}

TEST_F(integration_http_Sessions, SessionServesRequests) {
  const LegacySession s = openSession(port());
  const HttpResult ping = s.post(rpcRequest("1", "ping"));
  EXPECT_EQ(ping.status, 200);
  const json::ObjectPtr result = resultOf(ping.body, "1");
  EXPECT_EQ(result->size(), 0u) << "ping returns exactly {}: " << ping.body;
  // Only initialize issues a session id.
  EXPECT_EQ(ping.header("Mcp-Session-Id").value_or(s.id), s.id);
}

// ---------------------------------------------------------------------------
// Mcp-Session-Id

TEST_F(integration_http_Sessions, RequestWithoutSessionHeaderIs400) {
  const HttpResult r = request(port(), "POST", "/mcp", mcpPostHeaders({{"MCP-Protocol-Version", kLatestLegacy}}),
                               rpcRequest("1", "tools/list"));
  EXPECT_EQ(r.status, 400);
  auto error = json::getObject(object(r.body), "error");
  EXPECT_TRUE(error) << r.body;
}

TEST_F(integration_http_Sessions, UnknownSessionIs404) {
  const HttpResult r = request(port(), "POST", "/mcp",
                               mcpPostHeaders({{"Mcp-Session-Id", "0123456789abcdef0123456789abcdef"},
                                               {"MCP-Protocol-Version", kLatestLegacy}}),
                               rpcRequest("1", "tools/list"));
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(json::getObject(object(r.body), "error")) << r.body;

  const HttpResult get = request(port(), "GET", "/mcp",
                                 {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", "no-such-session"}});
  EXPECT_EQ(get.status, 404);
  const HttpResult del = request(port(), "DELETE", "/mcp", {{"Mcp-Session-Id", "no-such-session"}});
  EXPECT_EQ(del.status, 404);
}

TEST_F(integration_http_Sessions, DeleteEndsTheSession) {
  const LegacySession s = openSession(port());
  const HttpResult del = request(port(), "DELETE", "/mcp",
                                 {{"Mcp-Session-Id", s.id}, {"MCP-Protocol-Version", s.version}});
  EXPECT_EQ(del.status, 200);

  const HttpResult post = s.post(rpcRequest("1", "ping"));
  EXPECT_EQ(post.status, 404);
  const HttpResult get = request(port(), "GET", "/mcp", getHeaders(s));
  EXPECT_EQ(get.status, 404);
  const HttpResult again = request(port(), "DELETE", "/mcp", {{"Mcp-Session-Id", s.id}});
  EXPECT_EQ(again.status, 404);
  // Another session is not affected.
  const LegacySession other = openSession(port());
  EXPECT_EQ(other.post(rpcRequest("2", "ping")).status, 200);
}

TEST_F(integration_http_Sessions, DeleteWithoutSessionHeaderIs400) {
  const HttpResult r = request(port(), "DELETE", "/mcp", {});
  EXPECT_EQ(r.status, 400);
}

// ---------------------------------------------------------------------------
// MCP-Protocol-Version

TEST_F(integration_http_Sessions, UnsupportedProtocolVersionHeaderIs400) {
  const LegacySession s = openSession(port());
  for (const std::string& version : std::vector<std::string>{"1999-01-01", "banana", "2025-11-26"}) {
    SCOPED_TRACE(version);
    Headers h = mcpPostHeaders({{"Mcp-Session-Id", s.id}, {"MCP-Protocol-Version", version}});
    const HttpResult r = request(port(), "POST", "/mcp", h, rpcRequest("1", "tools/list"));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json::getObject(object(r.body), "error")) << r.body;
  }
  const HttpResult get = request(port(), "GET", "/mcp",
                                 {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", s.id},
                                  {"MCP-Protocol-Version", "1999-01-01"}});
  EXPECT_EQ(get.status, 400);
}

TEST_F(integration_http_Sessions, AnySupportedVersionHeaderIsAcceptedOnASession) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("1", "ping"), {{"MCP-Protocol-Version", "2025-03-26"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(integration_http_Sessions, MissingVersionHeaderIsAcceptedOnASession) {
  const LegacySession s = openSession(port(), "2025-06-18");
  const HttpResult r =
      request(port(), "POST", "/mcp", mcpPostHeaders({{"Mcp-Session-Id", s.id}}), rpcRequest("1", "ping"));
  EXPECT_EQ(r.status, 200) << r.body;
}

// ---------------------------------------------------------------------------
// GET stream

TEST_F(integration_http_Sessions, SecondPlainGetStreamIs409) {
  const LegacySession s = openSession(port());
  SseReader first(port(), "GET", "/mcp", getHeaders(s));
  ASSERT_EQ(first.status(), 200);
  EXPECT_TRUE(common::startsWith(first.header("Content-Type").value_or(""), "text/event-stream"));
  // 2025-11-25 primes the stream; once that arrived the stream is attached.
  auto priming = first.next(std::chrono::seconds(30));
  ASSERT_TRUE(priming);
  EXPECT_FALSE(priming->id.empty());

  const HttpResult second = request(port(), "GET", "/mcp", getHeaders(s));
  EXPECT_EQ(second.status, 409);
  EXPECT_TRUE(json::getObject(object(second.body), "error")) << second.body;
  first.close();
}

TEST_F(integration_http_Sessions, GetWithoutEventStreamAcceptIs406) {
  const LegacySession s = openSession(port());
  for (const std::string& accept : std::vector<std::string>{"application/json", "text/html", ""}) {
    SCOPED_TRACE(accept);
    Headers h{{"Accept", accept}, {"Mcp-Session-Id", s.id}, {"MCP-Protocol-Version", s.version}};
    const HttpResult r = request(port(), "GET", "/mcp", h);
    EXPECT_EQ(r.status, 406);
  }
}

TEST_F(integration_http_Sessions, GetWithoutSessionIs400) {
  const HttpResult r = request(port(), "GET", "/mcp", {{"Accept", "text/event-stream"}});
  EXPECT_EQ(r.status, 400);
}

// ---------------------------------------------------------------------------
// Batches

TEST_F(integration_http_Sessions, Session20250326AcceptsMixedBatch) {
  const LegacySession s = openSession(port(), "2025-03-26");
  ASSERT_EQ(s.version, "2025-03-26");
  const std::string batch = "[" + rpcRequest("1", "ping") + "," +
                            rpcNotification("notifications/roots/list_changed") + "," +
                            rpcRequest("\"two\"", "tools/call", R"({"name":"demo_echo","arguments":{"text":"b"}})") +
                            "]";
  const HttpResult r = s.post(batch);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(isJsonResponse(r));
  const json::ArrayPtr replies = array(r.body);
  ASSERT_EQ(replies->size(), 2u) << r.body;
  bool sawPing = false;
  bool sawEcho = false;
  for (size_t i = 0; i < replies->size(); ++i) {
    const json::ObjectPtr reply = json::asObject(replies->get(i));
    ASSERT_TRUE(reply);
    const std::string id = idText(reply);
    const json::ObjectPtr result = json::getObject(reply, "result");
    ASSERT_TRUE(result) << r.body;
    if (id == "1") sawPing = true;
    if (id == "\"two\"") {
      sawEcho = true;
      EXPECT_EQ(firstText(result), "b");
    }
  }
  EXPECT_TRUE(sawPing && sawEcho) << r.body;
}

TEST_F(integration_http_Sessions, Session20250326NotificationOnlyBatchIs202) {
  const LegacySession s = openSession(port(), "2025-03-26");
  const HttpResult r = s.post("[" + rpcNotification("notifications/roots/list_changed") + "," +
                              rpcNotification("notifications/cancelled", R"({"requestId":"nope"})") + "]");
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(integration_http_Sessions, Session20251125RejectsBatches) {
  for (const std::string& version : std::vector<std::string>{"2025-11-25", "2025-06-18"}) {
    SCOPED_TRACE(version);
    const LegacySession s = openSession(port(), version);
    const HttpResult r = s.post("[" + rpcRequest("1", "ping") + "," + rpcNotification("notifications/roots/list_changed") + "]");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(isRpcError(r.body, -32600, "null"));
  }
}

TEST_F(integration_http_Sessions, InitializeInsideBatchIsRejected) {
  const std::string batch = "[" + initializeBody("2025-03-26", "1") + "," + rpcRequest("2", "ping") + "]";
  const HttpResult fresh = request(port(), "POST", "/mcp", mcpPostHeaders(), batch);
  EXPECT_EQ(fresh.status, 400);
  EXPECT_TRUE(isRpcError(fresh.body, -32600, "null"));
  EXPECT_FALSE(fresh.header("Mcp-Session-Id"));

  const LegacySession s = openSession(port(), "2025-03-26");
  const HttpResult onSession = s.post(batch);
  EXPECT_EQ(onSession.status, 400);
  EXPECT_TRUE(isRpcError(onSession.body, -32600, "null"));

  const HttpResult alone = s.post("[" + initializeBody("2025-03-26", "3") + "]");
  EXPECT_EQ(alone.status, 400);
  EXPECT_FALSE(alone.header("Mcp-Session-Id"));
}

// ---------------------------------------------------------------------------
// Notifications and responses

TEST_F(integration_http_Sessions, NotificationOnlyPostIs202WithEmptyBody) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcNotification("notifications/roots/list_changed"));
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(r.body.empty()) << r.body;
  const HttpResult unknown = s.post(rpcNotification("notifications/something_new"));
  EXPECT_EQ(unknown.status, 202);
  EXPECT_TRUE(unknown.body.empty());
}

TEST_F(integration_http_Sessions, CancelledForUnknownIdIsHarmless) {
  const LegacySession s = openSession(port());
  for (const std::string& params : std::vector<std::string>{R"({"requestId":"never-sent","reason":"x"})", R"({"requestId":424242})", "{}"}) {
    SCOPED_TRACE(params);
    const HttpResult r = s.post(rpcNotification("notifications/cancelled", params));
    EXPECT_EQ(r.status, 202);
    EXPECT_TRUE(r.body.empty());
  }
  const HttpResult after =
      s.post(rpcRequest("424242", "tools/call", R"({"name":"demo_echo","arguments":{"text":"fine"}})"));
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(firstText(resultOf(after.body, "424242")), "fine");
}

TEST_F(integration_http_Sessions, UnsolicitedResponseIs202) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(R"({"jsonrpc":"2.0","id":"srv-unknown","result":{}})");
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(s.post(rpcRequest("1", "ping")).status, 200);
}

}  // namespace
}  // namespace portcullis::testing::http
