// The checks every request passes at the MCP endpoint, over real HTTP:
// Host and Origin validation against DNS rebinding on a loopback bind, CORS
// for configured browser origins, and the Accept / Content-Type / method
// rules of Streamable HTTP.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/http_support.hpp"

namespace portcullis::testing::http {
namespace {

constexpr const char* kAllowedOrigin = "https://app.example.com";

class integration_http_Guards : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig(
        "server:\n"
        "  allowed_origins: [\"https://app.example.com\"]\n"));
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }
  static std::string portText() { return std::to_string(port()); }

  // An initialize POST with these headers added (they replace defaults of the same name).
  static HttpResult initializeWith(const Headers& extra) {
    return request(port(), "POST", "/mcp", mcpPostHeaders(extra), initializeBody(kLatestLegacy));
  }

  inline static std::unique_ptr<TestGateway> gateway_;
};

// A JSON-RPC error body without an id, as the transport sends for rejections.
::testing::AssertionResult isTransportError(const HttpResult& r) {
  if (!isJsonResponse(r)) {
    return ::testing::AssertionFailure() << "Content-Type " << r.header("Content-Type").value_or("<none>");
  }
  json::ObjectPtr o;
  try {
    o = json::parseObject(r.body);
  } catch (const std::exception&) {
    return ::testing::AssertionFailure() << "not JSON: " << r.body;
  }
  auto error = json::getObject(o, "error");
  if (json::getString(o, "jsonrpc") != std::optional<std::string>("2.0") || !error ||
      !json::getInt(error, "code") || !json::getString(error, "message")) {
    return ::testing::AssertionFailure() << "not a JSON-RPC error: " << r.body;
  }
  if (idText(o) != "null") return ::testing::AssertionFailure() << "id is not null: " << r.body;
  return ::testing::AssertionSuccess();
}

// Whether a comma-separated header lists `item` (case-insensitively).
bool lists(const std::optional<std::string>& header, const std::string& item) {
  if (!header) return false;
  for (const auto& part : common::split(*header, ',')) {
    if (common::iequals(common::trim(part), item)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Origin

TEST_F(integration_http_Guards, ForeignOriginIsForbiddenWithJsonRpcError) {
  const HttpResult r = initializeWith({{"Origin", "http://evil.example.com"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(isTransportError(r));
  EXPECT_FALSE(r.header("Mcp-Session-Id")) << "a rejected initialize must not open a session";
  EXPECT_FALSE(r.header("Access-Control-Allow-Origin"));
}

TEST_F(integration_http_Guards, ForeignOriginIsForbiddenOnEveryMethod) {
  const LegacySession s = openSession(port());
  const Headers origin{{"Origin", "http://evil.example.com"}};

  const HttpResult post = s.post(rpcRequest("1", "tools/list"), origin);
  EXPECT_EQ(post.status, 403);
  EXPECT_TRUE(isTransportError(post));

  const HttpResult get = request(port(), "GET", "/mcp",
                                 {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", s.id}, origin.front()});
  EXPECT_EQ(get.status, 403);
  EXPECT_TRUE(isTransportError(get));

  const HttpResult del = request(port(), "DELETE", "/mcp", {{"Mcp-Session-Id", s.id}, origin.front()});
  EXPECT_EQ(del.status, 403);

  // The forbidden DELETE did not end the session.
  const HttpResult after = s.post(rpcRequest("2", "ping"));
  EXPECT_EQ(after.status, 200) << after.body;
}

TEST_F(integration_http_Guards, OriginLookalikesAreForbidden) {
  const std::string p = portText();
  for (const std::string& origin :
       std::vector<std::string>{"null", "http://evil.example.com:" + p, "https://app.example.com.evil.example.com",
        "http://app.example.com", "https://app.example.com:8443", "http://localhost.evil.example.com",
        "http://localhost:" + p + "@evil.example.com", "file://", "chrome-extension://abcdef"}) {
    SCOPED_TRACE(origin);
    const HttpResult r = initializeWith({{"Origin", origin}});
    EXPECT_EQ(r.status, 403);
    EXPECT_FALSE(r.header("Mcp-Session-Id"));
  }
}

// A DNS name that merely starts with "127." is not a loopback address: a
// rebinding attacker can own 127.0.0.1.evil.example.com.
TEST_F(integration_http_Guards, DottedQuadPrefixedDomainOriginIsForbidden) {
  const HttpResult r = initializeWith({{"Origin", "http://127.0.0.1.evil.example.com:" + portText()}});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_FALSE(r.header("Mcp-Session-Id"));
}

TEST_F(integration_http_Guards, ConfiguredOriginIsAcceptedAndEchoed) {
  const HttpResult r = initializeWith({{"Origin", kAllowedOrigin}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.header("Mcp-Session-Id"));
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), std::optional<std::string>(kAllowedOrigin));
  EXPECT_TRUE(lists(r.header("Vary"), "Origin")) << r.header("Vary").value_or("<no Vary>");
  // A browser client can only read the session id when it is exposed.
  EXPECT_TRUE(lists(r.header("Access-Control-Expose-Headers"), "Mcp-Session-Id"))
      << r.header("Access-Control-Expose-Headers").value_or("<none>");
}

TEST_F(integration_http_Guards, LoopbackOriginIsAcceptedOnLoopbackBind) {
  for (const std::string& origin : std::vector<std::string>{"http://localhost:" + portText(), "http://127.0.0.1:" + portText(),
                                   "http://[::1]:" + portText(), "http://localhost"}) {
    SCOPED_TRACE(origin);
    const HttpResult r = initializeWith({{"Origin", origin}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), std::optional<std::string>(origin));
  }
}

TEST_F(integration_http_Guards, NoOriginMeansNoCorsHeaders) {
  const HttpResult r = initializeWith({});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.header("Access-Control-Allow-Origin"));
}

// ---------------------------------------------------------------------------
// Host (DNS rebinding)

TEST_F(integration_http_Guards, ForeignHostOnLoopbackBindIsForbidden) {
  for (const std::string& host : std::vector<std::string>{"evil.example.com", "evil.example.com:" + portText(), "10.0.0.1:" + portText(),
                                 "localhost.evil.example.com:" + portText()}) {
    SCOPED_TRACE(host);
    const HttpResult r = initializeWith({{"Host", host}});
    EXPECT_EQ(r.status, 403);
    EXPECT_TRUE(isTransportError(r));
    EXPECT_FALSE(r.header("Mcp-Session-Id"));
  }
}

// The conformance suite's rebinding probe: a foreign Host and a matching
// foreign Origin, no session.
TEST_F(integration_http_Guards, RebindingProbeIsRejected) {
  const HttpResult r =
      initializeWith({{"Host", "evil.example.com"}, {"Origin", "http://evil.example.com"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(r.header("Mcp-Session-Id"));
}

TEST_F(integration_http_Guards, DottedQuadPrefixedDomainHostIsForbidden) {
  const std::string name = "127.0.0.1.evil.example.com:" + portText();
  const HttpResult r = initializeWith({{"Host", name}, {"Origin", "http://" + name}});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_FALSE(r.header("Mcp-Session-Id"));
}

TEST_F(integration_http_Guards, LoopbackHostNamesAreAccepted) {
  const std::string p = portText();
  for (const std::string& host : std::vector<std::string>{"localhost:" + p, "127.0.0.1:" + p, "[::1]:" + p, "LOCALHOST:" + p, "localhost"}) {
    SCOPED_TRACE(host);
    const HttpResult r = initializeWith({{"Host", host}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.header("Mcp-Session-Id"));
  }
}

TEST_F(integration_http_Guards, SameOriginAsLoopbackHostIsAccepted) {
  const std::string hostPort = "localhost:" + portText();
  const HttpResult r = initializeWith({{"Host", hostPort}, {"Origin", "http://" + hostPort}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.header("Mcp-Session-Id"));
}

TEST_F(integration_http_Guards, MissingHostIsRejected) {
  const std::string body = initializeBody(kLatestLegacy);
  const std::string raw = "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\n"
                          "Accept: application/json, text/event-stream\r\nConnection: close\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const auto response = parseResponse(rawExchange(port(), raw, std::chrono::seconds(30)));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status / 100, 4);
  EXPECT_FALSE(response->header("Mcp-Session-Id"));
}

// ---------------------------------------------------------------------------
// CORS preflight

TEST_F(integration_http_Guards, PreflightAnswers204WithAllowedMethodsAndHeaders) {
  const HttpResult r = request(port(), "OPTIONS", "/mcp",
                               {{"Origin", kAllowedOrigin},
                                {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Headers", "content-type, mcp-session-id, mcp-protocol-version"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), std::optional<std::string>(kAllowedOrigin));
  EXPECT_TRUE(lists(r.header("Vary"), "Origin"));
  const auto methods = r.header("Access-Control-Allow-Methods");
  ASSERT_TRUE(methods);
  for (const std::string& m : std::vector<std::string>{"GET", "POST", "DELETE"}) EXPECT_TRUE(lists(methods, m)) << *methods;
  const auto headers = r.header("Access-Control-Allow-Headers");
  ASSERT_TRUE(headers);
  for (const std::string& h : std::vector<std::string>{"Content-Type", "Accept", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version",
                              "Mcp-Method", "Mcp-Name", "Last-Event-ID"}) {
    EXPECT_TRUE(lists(headers, h)) << h << " missing from " << *headers;
  }
}

TEST_F(integration_http_Guards, PreflightFromForeignOriginIsForbidden) {
  const HttpResult r = request(port(), "OPTIONS", "/mcp",
                               {{"Origin", "http://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(r.header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(r.header("Access-Control-Allow-Methods"));
}

// ---------------------------------------------------------------------------
// Accept, Content-Type, method

TEST_F(integration_http_Guards, PostWithoutEventStreamInAcceptIs406) {
  for (const std::string& accept : std::vector<std::string>{"application/json", "text/event-stream", "text/html", ""}) {
    SCOPED_TRACE(accept);
    const HttpResult r = initializeWith({{"Accept", accept}});
    EXPECT_EQ(r.status, 406);
    EXPECT_TRUE(isTransportError(r));
    EXPECT_FALSE(r.header("Mcp-Session-Id"));
  }
}

TEST_F(integration_http_Guards, AcceptVariantsListingBothAreFine) {
  for (const std::string& accept : std::vector<std::string>{"text/event-stream, application/json", "application/json;q=0.9, text/event-stream;q=1",
                                   "*/*", "application/*, text/*"}) {
    SCOPED_TRACE(accept);
    const HttpResult r = initializeWith({{"Accept", accept}});
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

TEST_F(integration_http_Guards, NonJsonContentTypeIs415) {
  for (const std::string& type : std::vector<std::string>{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                 "application/jsonp"}) {
    SCOPED_TRACE(type);
    const HttpResult r = initializeWith({{"Content-Type", type}});
    EXPECT_EQ(r.status, 415);
    EXPECT_TRUE(isTransportError(r));
    EXPECT_FALSE(r.header("Mcp-Session-Id"));
  }
}

TEST_F(integration_http_Guards, JsonContentTypeWithCharsetIsFine) {
  const HttpResult r = initializeWith({{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(integration_http_Guards, UnsupportedMethodIs405WithAllow) {
  for (const std::string& method : std::vector<std::string>{"PUT", "PATCH"}) {
    SCOPED_TRACE(method);
    const HttpResult r = request(port(), method, "/mcp", mcpPostHeaders(), initializeBody(kLatestLegacy));
    EXPECT_EQ(r.status, 405);
    const auto allow = r.header("Allow");
    ASSERT_TRUE(allow);
    for (const std::string& m : std::vector<std::string>{"GET", "POST", "DELETE"}) EXPECT_TRUE(lists(allow, m)) << *allow;
    EXPECT_FALSE(lists(allow, method)) << *allow;
    EXPECT_TRUE(isTransportError(r));
  }
}

}  // namespace
}  // namespace portcullis::testing::http
