// Protocol 2026-07-28 over real HTTP: stateless requests with per-request
// _meta, server/discover, the MCP-Protocol-Version / Mcp-Method / Mcp-Name
// header rules and their error codes, methods the revision removed, and the
// session machinery of older revisions staying out of the way.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/http_support.hpp"

namespace portcullis::testing::http {
namespace {

class integration_http_Modern : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig()); }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }

  static HttpResult post(const Headers& headers, const std::string& body) {
    return request(port(), "POST", "/mcp", headers, body);
  }

  inline static std::unique_ptr<TestGateway> gateway_;
};

std::string echoCall(const std::string& id, const std::string& text = "hi") {
  return modernRequest(id, "tools/call", R"({"name":"demo_echo","arguments":{"text":")" + text + R"("}})");
}

// ---------------------------------------------------------------------------
// server/discover and plain requests

TEST_F(integration_http_Modern, DiscoverDescribesTheServer) {
  const HttpResult r = post(modernHeaders("server/discover"), modernRequest("1", "server/discover"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(isJsonResponse(r));
  EXPECT_FALSE(r.header("Mcp-Session-Id")) << "2026-07-28 keeps no session";
  const json::ObjectPtr result = resultOf(r.body, "1");

  const json::ArrayPtr versions = json::getArray(result, "supportedVersions");
  ASSERT_TRUE(versions) << r.body;
  bool modern = false;
  for (size_t i = 0; i < versions->size(); ++i) {
    if (json::isString(versions->get(i)) && versions->get(i).extract<std::string>() == kModern) modern = true;
  }
  EXPECT_TRUE(modern) << r.body;

  const json::ObjectPtr caps = json::getObject(result, "capabilities");
  ASSERT_TRUE(caps) << r.body;
  EXPECT_TRUE(json::getObject(caps, "tools"));
  EXPECT_FALSE(caps->has("logging")) << "logging/setLevel does not exist in 2026-07-28";

  EXPECT_EQ(json::getString(result, "resultType"), std::optional<std::string>("complete"));
  const json::ObjectPtr meta = json::getObject(result, "_meta");
  ASSERT_TRUE(meta) << r.body;
  const json::ObjectPtr serverInfo = json::getObject(meta, kMetaServerInfo);
  ASSERT_TRUE(serverInfo) << r.body;
  EXPECT_TRUE(json::getString(serverInfo, "name"));
  EXPECT_TRUE(json::getString(serverInfo, "version"));
  const auto ttl = json::getInt(result, "ttlMs");
  ASSERT_TRUE(ttl) << r.body;
  EXPECT_GE(*ttl, 0);
  const auto scope = json::getString(result, "cacheScope");
  ASSERT_TRUE(scope) << r.body;
  EXPECT_FALSE(scope->empty());
}

TEST_F(integration_http_Modern, ToolsListCarriesCacheHintsAndServerInfo) {
  const HttpResult r = post(modernHeaders("tools/list"), modernRequest("\"list\"", "tools/list"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::ObjectPtr result = resultOf(r.body, "\"list\"");
  EXPECT_TRUE(json::getArray(result, "tools"));
  EXPECT_EQ(json::getString(result, "resultType"), std::optional<std::string>("complete"));
  EXPECT_TRUE(json::getInt(result, "ttlMs"));
  EXPECT_TRUE(json::getString(result, "cacheScope"));
  EXPECT_TRUE(json::getObject(json::getObject(result, "_meta"), kMetaServerInfo));
}

TEST_F(integration_http_Modern, ToolsCallWorksStatelessly) {
  const HttpResult r = post(modernHeaders("tools/call", "demo_echo"), echoCall("7", "stateless"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::ObjectPtr result = resultOf(r.body, "7");
  EXPECT_EQ(firstText(result), "stateless");
  EXPECT_EQ(json::getString(result, "resultType"), std::optional<std::string>("complete"));
  EXPECT_FALSE(r.header("Mcp-Session-Id"));
}

TEST_F(integration_http_Modern, HeaderNamesAreCaseInsensitive) {
  const Headers h = mcpPostHeaders(
      {{"mcp-protocol-version", kModern}, {"MCP-METHOD", "tools/call"}, {"mcp-name", "demo_echo"}});
  const HttpResult r = post(h, echoCall("8", "case"));
  EXPECT_EQ(r.status, 200) << r.body;
}

// ---------------------------------------------------------------------------
// MCP-Protocol-Version

TEST_F(integration_http_Modern, MissingVersionHeaderIsHeaderMismatch) {
  const HttpResult r = post(mcpPostHeaders({{"Mcp-Method", "tools/list"}}), modernRequest("21", "tools/list"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32020, "21"));
}

TEST_F(integration_http_Modern, VersionHeaderDifferentFromMetaIsHeaderMismatch) {
  // A legacy value in the header, the modern one in _meta.
  Headers h = mcpPostHeaders({{"MCP-Protocol-Version", "2025-11-25"}, {"Mcp-Method", "tools/list"}});
  const HttpResult r = post(h, modernRequest("22", "tools/list"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32020, "22"));

  // The modern value in the header, another one in _meta.
  const HttpResult r2 = post(modernHeaders("tools/list"), modernRequest("23", "tools/list", "{}", "2099-01-01"));
  EXPECT_EQ(r2.status, 400);
  EXPECT_TRUE(isRpcError(r2.body, -32020, "23"));
}

TEST_F(integration_http_Modern, UnsupportedVersionListsSupportedOnes) {
  const std::string version = "2099-01-01";
  const HttpResult r =
      post(modernHeaders("tools/list", std::nullopt, version), modernRequest("\"v\"", "tools/list", "{}", version));
  EXPECT_EQ(r.status, 400);
  ASSERT_TRUE(isRpcError(r.body, -32022, "\"v\""));
  const json::ObjectPtr data = json::getObject(json::getObject(object(r.body), "error"), "data");
  ASSERT_TRUE(data) << r.body;
  const json::ArrayPtr supported = json::getArray(data, "supported");
  ASSERT_TRUE(supported) << r.body;
  bool modern = false;
  for (size_t i = 0; i < supported->size(); ++i) {
    if (json::isString(supported->get(i)) && supported->get(i).extract<std::string>() == kModern) modern = true;
  }
  EXPECT_TRUE(modern) << r.body;
  EXPECT_EQ(json::getString(data, "requested"), std::optional<std::string>(version));
}

TEST_F(integration_http_Modern, LegacyVersionInMetaIsUnsupportedForStatelessRequests) {
  const HttpResult r = post(modernHeaders("tools/list", std::nullopt, "2025-11-25"),
                            modernRequest("24", "tools/list", "{}", "2025-11-25"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32022, "24"));
}

// ---------------------------------------------------------------------------
// Mcp-Method and Mcp-Name

TEST_F(integration_http_Modern, MissingMcpMethodIsHeaderMismatch) {
  const HttpResult r =
      post(mcpPostHeaders({{"MCP-Protocol-Version", kModern}}), modernRequest("31", "tools/list"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32020, "31"));
}

TEST_F(integration_http_Modern, DifferentMcpMethodIsHeaderMismatch) {
  for (const std::string& header : std::vector<std::string>{"tools/call", "TOOLS/LIST", "tools/lis", ""}) {
    SCOPED_TRACE("[" + header + "]");
    const HttpResult r = post(modernHeaders(header), modernRequest("32", "tools/list"));
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(isRpcError(r.body, -32020, "32"));
  }
}

TEST_F(integration_http_Modern, MissingMcpNameIsHeaderMismatch) {
  const HttpResult r = post(modernHeaders("tools/call"), echoCall("41"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32020, "41"));

  const HttpResult prompt =
      post(modernHeaders("prompts/get"),
           modernRequest("42", "prompts/get", R"({"name":"demo_greeting","arguments":{"name":"Ada"}})"));
  EXPECT_EQ(prompt.status, 400);
  EXPECT_TRUE(isRpcError(prompt.body, -32020, "42"));

  const HttpResult resource =
      post(modernHeaders("resources/read"), modernRequest("43", "resources/read", R"({"uri":"demo://readme"})"));
  EXPECT_EQ(resource.status, 400);
  EXPECT_TRUE(isRpcError(resource.body, -32020, "43"));
}

TEST_F(integration_http_Modern, MismatchedMcpNameIsHeaderMismatch) {
  // The header says one tool, the body calls another: the gateway must not
  // run what an intermediary did not route.
  const HttpResult r = post(modernHeaders("tools/call", "whoami"), echoCall("44"));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32020, "44"));

  const HttpResult badBase64 = post(modernHeaders("tools/call", "=?base64?d2hvYW1p?="), echoCall("45"));
  EXPECT_EQ(badBase64.status, 400);
  EXPECT_TRUE(isRpcError(badBase64.body, -32020, "45"));

  const HttpResult notBase64 = post(modernHeaders("tools/call", "=?base64?!!!?="), echoCall("46"));
  EXPECT_EQ(notBase64.status, 400);
  EXPECT_TRUE(isRpcError(notBase64.body, -32020, "46"));
}

TEST_F(integration_http_Modern, Base64EncodedMcpNameIsAccepted) {
  // "demo_echo" in base64.
  const HttpResult r = post(modernHeaders("tools/call", "=?base64?ZGVtb19lY2hv?="), echoCall("47", "b64"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(firstText(resultOf(r.body, "47")), "b64");

  // "demo://readme" for resources/read.
  const HttpResult resource = post(modernHeaders("resources/read", "=?base64?ZGVtbzovL3JlYWRtZQ==?="),
                                   modernRequest("48", "resources/read", R"({"uri":"demo://readme"})"));
  EXPECT_EQ(resource.status, 200) << resource.body;
  EXPECT_TRUE(json::getArray(resultOf(resource.body, "48"), "contents"));
}

TEST_F(integration_http_Modern, PlainMcpNameForResourcesAndPromptsIsAccepted) {
  const HttpResult resource = post(modernHeaders("resources/read", "demo://readme"),
                                   modernRequest("49", "resources/read", R"({"uri":"demo://readme"})"));
  EXPECT_EQ(resource.status, 200) << resource.body;
  const HttpResult prompt =
      post(modernHeaders("prompts/get", "demo_greeting"),
           modernRequest("50", "prompts/get", R"({"name":"demo_greeting","arguments":{"name":"Ada"}})"));
  EXPECT_EQ(prompt.status, 200) << prompt.body;
}

// ---------------------------------------------------------------------------
// Mcp-Param-* (x-mcp-header): test_header_param mirrors "region" into
// Mcp-Param-Region.

std::string headerParamCall(const std::string& id, const std::string& region) {
  return modernRequest(id, "tools/call",
                       R"({"name":"test_header_param","arguments":{"region":")" + region + R"(","query":"q"}})");
}

TEST_F(integration_http_Modern, MirroredParameterHeaderIsChecked) {
  Headers h = modernHeaders("tools/call", "test_header_param");
  h.emplace_back("Mcp-Param-Region", "us-west1");
  const HttpResult ok = post(h, headerParamCall("51", "us-west1"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(firstText(resultOf(ok.body, "51")), "region=us-west1");

  const HttpResult missing = post(modernHeaders("tools/call", "test_header_param"), headerParamCall("52", "us-west1"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(isRpcError(missing.body, -32020, "52"));

  Headers other = modernHeaders("tools/call", "test_header_param");
  other.emplace_back("Mcp-Param-Region", "eu-west1");
  const HttpResult mismatch = post(other, headerParamCall("53", "us-west1"));
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_TRUE(isRpcError(mismatch.body, -32020, "53"));
}

TEST_F(integration_http_Modern, MirroredParameterMayBeBase64Encoded) {
  // "Hello, 世界" cannot travel as a plain header value.
  Headers h = modernHeaders("tools/call", "test_header_param");
  h.emplace_back("mcp-param-region", "=?base64?SGVsbG8sIOS4lueVjA==?=");
  const HttpResult r = post(h, headerParamCall("54", "Hello, \\u4e16\\u754c"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(firstText(resultOf(r.body, "54")), "region=Hello, \xe4\xb8\x96\xe7\x95\x8c");
}

// ---------------------------------------------------------------------------
// Removed and unknown methods

TEST_F(integration_http_Modern, RemovedMethodsAreMethodNotFound) {
  struct Case {
    std::string method;
    std::string params;
  };
  const Case cases[] = {
      {"initialize", R"({"protocolVersion":"2026-07-28","capabilities":{},"clientInfo":{"name":"t","version":"1"}})"},
      {"ping", "{}"},
      {"logging/setLevel", R"({"level":"debug"})"},
      {"resources/subscribe", R"({"uri":"demo://readme"})"},
      {"resources/unsubscribe", R"({"uri":"demo://readme"})"},
  };
  int n = 60;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method);
    const std::string id = std::to_string(n++);
    const HttpResult r = post(modernHeaders(c.method), modernRequest(id, c.method, c.params));
    EXPECT_EQ(r.status, 404);
    EXPECT_TRUE(isRpcError(r.body, -32601, id));
    EXPECT_FALSE(r.header("Mcp-Session-Id")) << "a modern initialize must not open a session";
  }
}

TEST_F(integration_http_Modern, UnknownMethodIs404WithJsonRpcBody) {
  const HttpResult r = post(modernHeaders("tools/explode"), modernRequest("\"u\"", "tools/explode"));
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(isJsonResponse(r));
  EXPECT_TRUE(isRpcError(r.body, -32601, "\"u\""));
}

// ---------------------------------------------------------------------------
// Sessions do not exist in 2026-07-28

TEST_F(integration_http_Modern, SessionHeaderIsIgnored) {
  Headers h = modernHeaders("tools/call", "demo_echo");
  h.emplace_back("Mcp-Session-Id", "ffffffffffffffffffffffffffffffff");
  const HttpResult r = post(h, echoCall("71", "no session"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(firstText(resultOf(r.body, "71")), "no session");
  EXPECT_FALSE(r.header("Mcp-Session-Id"));

  // A live legacy session's id changes nothing either.
  const LegacySession s = openSession(port());
  Headers withLive = modernHeaders("tools/list");
  withLive.emplace_back("Mcp-Session-Id", s.id);
  const HttpResult live = post(withLive, modernRequest("72", "tools/list"));
  EXPECT_EQ(live.status, 200) << live.body;
  EXPECT_EQ(json::getString(resultOf(live.body, "72"), "resultType"), std::optional<std::string>("complete"));
}

TEST_F(integration_http_Modern, GetWithModernVersionAndNoSessionIs405) {
  const HttpResult r =
      request(port(), "GET", "/mcp", {{"Accept", "text/event-stream"}, {"MCP-Protocol-Version", kModern}});
  EXPECT_EQ(r.status, 405);
  EXPECT_TRUE(r.header("Allow"));
  EXPECT_FALSE(r.header("Content-Type") &&
               common::startsWith(*r.header("Content-Type"), "text/event-stream"));
}

// ---------------------------------------------------------------------------
// Ids in errors

TEST_F(integration_http_Modern, ErrorsCarryTheRequestId) {
  // String, integer and zero ids each come back on a header error, an
  // unknown method and bad params.
  for (const std::string& id : std::vector<std::string>{"\"abc-1\"", "987654321", "0"}) {
    SCOPED_TRACE(id);
    const HttpResult mismatch = post(modernHeaders("tools/list"), modernRequest(id, "prompts/list"));
    EXPECT_EQ(mismatch.status, 400);
    EXPECT_TRUE(isRpcError(mismatch.body, -32020, id));

    const HttpResult unknown = post(modernHeaders("nope/nope"), modernRequest(id, "nope/nope"));
    EXPECT_TRUE(isRpcError(unknown.body, -32601, id));

    const HttpResult params = post(modernHeaders("tools/call", "demo_echo"),
                                   modernRequest(id, "tools/call", R"({"name":"demo_echo","arguments":[1]})"));
    EXPECT_TRUE(isRpcError(params.body, -32602, id));
  }
}

TEST_F(integration_http_Modern, NotificationIs202WithEmptyBody) {
  const HttpResult r = post(modernHeaders("notifications/roots/list_changed"),
                            R"({"jsonrpc":"2.0","method":"notifications/roots/list_changed","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})");
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace portcullis::testing::http
