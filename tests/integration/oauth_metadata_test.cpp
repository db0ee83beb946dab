// Discovery over real HTTP: the RFC 9728 "resource" is the canonical MCP
// URL (from the request, from server.public_url, or from X-Forwarded-*
// headers only when a trusted proxy sent them), the challenge points at the
// same metadata, and the endpoints browser clients call cross-origin answer
// CORS while the HTML pages do not.

#include <gtest/gtest.h>

#include "tests/integration/oauth_support.hpp"

namespace portcullis::testing::oauth_it {
namespace {

std::string resourceOf(uint16_t port, const Headers& headers = {}) {
  const HttpResult r = request(port, "GET", "/.well-known/oauth-protected-resource/mcp", headers);
  EXPECT_EQ(r.status, 200) << r.body;
  return json::getString(object(r.body), "resource").value_or("");
}

std::string issuerOf(uint16_t port, const Headers& headers = {}) {
  const HttpResult r = request(port, "GET", "/.well-known/oauth-authorization-server", headers);
  EXPECT_EQ(r.status, 200) << r.body;
  return json::getString(object(r.body), "issuer").value_or("");
}

std::string challengeMetadata(uint16_t port, const Headers& headers = {}) {
  Headers h = http::modernHeaders("tools/list");
  h.insert(h.end(), headers.begin(), headers.end());
  const HttpResult r = request(port, "POST", "/mcp", h, http::modernRequest("1", "tools/list"));
  EXPECT_EQ(r.status, 401);
  return challengeParams(r.header("WWW-Authenticate").value_or(""))["resource_metadata"];
}

const Headers kForwarded{{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "mcp.example.com"}};

TEST(OAuthMetadata, WithoutPublicUrlTheResourceIsTheUrlTheClientUsed) {
  auto gateway = TestGateway::withAuth();
  const std::string base = "http://127.0.0.1:" + std::to_string(gateway->port());
  EXPECT_EQ(resourceOf(gateway->port()), base + "/mcp");
  EXPECT_EQ(issuerOf(gateway->port()), base);
  EXPECT_EQ(challengeMetadata(gateway->port()), base + "/.well-known/oauth-protected-resource/mcp");
  // The metadata the challenge names is served, and names the same resource.
  const HttpResult meta =
      request(gateway->port(), "GET", "/.well-known/oauth-protected-resource/mcp");
  const auto servers = json::getArray(object(meta.body), "authorization_servers");
  ASSERT_TRUE(servers && servers->size() == 1);
  EXPECT_EQ(servers->getElement<std::string>(0), base);
  // The root form too.
  const HttpResult root = request(gateway->port(), "GET", "/.well-known/oauth-protected-resource");
  EXPECT_EQ(json::getString(object(root.body), "resource"), base + "/mcp");
}

TEST(OAuthMetadata, ForwardedHeadersFromAnUntrustedPeerAreIgnored) {
  auto gateway = TestGateway::withAuth();
  const std::string base = "http://127.0.0.1:" + std::to_string(gateway->port());
  EXPECT_EQ(resourceOf(gateway->port(), kForwarded), base + "/mcp");
  EXPECT_EQ(issuerOf(gateway->port(), kForwarded), base);
  EXPECT_EQ(challengeMetadata(gateway->port(), kForwarded),
            base + "/.well-known/oauth-protected-resource/mcp");
}

TEST(OAuthMetadata, ForwardedHeadersFromATrustedProxyAreHonoured) {
  AuthOptions options;
  options.server = "trusted_proxies: [\"127.0.0.1\"]\nallowed_hosts: [\"mcp.example.com\"]";
  auto gateway = TestGateway::withAuth(options);
  EXPECT_EQ(resourceOf(gateway->port(), kForwarded), "https://mcp.example.com/mcp");
  EXPECT_EQ(issuerOf(gateway->port(), kForwarded), "https://mcp.example.com");
  EXPECT_EQ(challengeMetadata(gateway->port(), kForwarded),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  // Without the headers, still the request's own URL.
  EXPECT_EQ(resourceOf(gateway->port()),
            "http://127.0.0.1:" + std::to_string(gateway->port()) + "/mcp");
  // A forwarded host that is not a host name is not believed.
  const std::string odd = resourceOf(
      gateway->port(), {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "evil.example/x?y"}});
  EXPECT_EQ(odd.find("evil"), std::string::npos) << odd;
}

TEST(OAuthMetadata, APublicUrlWinsOverEverything) {
  AuthOptions options;
  options.server = "public_url: \"https://mcp.example.com\"\ntrusted_proxies: [\"127.0.0.1\"]";
  auto gateway = TestGateway::withAuth(options);
  EXPECT_EQ(resourceOf(gateway->port()), "https://mcp.example.com/mcp");
  EXPECT_EQ(resourceOf(gateway->port(),
                       {{"X-Forwarded-Proto", "http"}, {"X-Forwarded-Host", "other.example"}}),
            "https://mcp.example.com/mcp");
  EXPECT_EQ(issuerOf(gateway->port()), "https://mcp.example.com");
  EXPECT_EQ(challengeMetadata(gateway->port()),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
}

TEST(OAuthMetadata, APublicUrlWithATrailingSlashGivesTheSameResource) {
  AuthOptions options;
  options.server = "public_url: \"https://mcp.example.com/\"";
  auto gateway = TestGateway::withAuth(options);
  EXPECT_EQ(resourceOf(gateway->port()), "https://mcp.example.com/mcp");
  EXPECT_EQ(issuerOf(gateway->port()), "https://mcp.example.com");
}

TEST(OAuthMetadata, ACustomMcpPathIsTheResource) {
  AuthOptions options;
  options.server = "mcp_path: /tools/mcp";
  auto gateway = TestGateway::withAuth(options);
  const std::string base = "http://127.0.0.1:" + std::to_string(gateway->port());
  const HttpResult r =
      request(gateway->port(), "GET", "/.well-known/oauth-protected-resource/tools/mcp");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::getString(object(r.body), "resource"), base + "/tools/mcp");
  EXPECT_EQ(request(gateway->port(), "GET", "/.well-known/oauth-protected-resource/mcp").status,
            404);
}

TEST(OAuthMetadata, ForeignHostNamesAreRefusedOnALoopbackBind) {
  // DNS rebinding: a page on evil.example that resolves to 127.0.0.1 must
  // not read the metadata, register clients or get tokens, nor learn an
  // issuer built from its own name.
  auto gateway = TestGateway::withAuth();
  for (const std::string& path : std::vector<std::string>{
           "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server",
           "/oauth/jwks", "/oauth/authorize?client_id=x"}) {
    const HttpResult r = request(gateway->port(), "GET", path, {{"Host", "evil.example"}});
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.body.find("\"issuer\""), std::string::npos) << path;
  }
  const HttpResult reg =
      request(gateway->port(), "POST", "/oauth/register",
              {{"Host", "evil.example:80"}, {"Content-Type", "application/json"}},
              R"J({"redirect_uris":["https://evil.example/cb"]})J");
  EXPECT_EQ(reg.status, 403);
  const HttpResult mcpPost = request(
      gateway->port(), "POST", "/mcp",
      [] {
        Headers h = http::modernHeaders("tools/list");
        h.emplace_back("Host", "evil.example");
        return h;
      }(),
      http::modernRequest("1", "tools/list"));
  EXPECT_EQ(mcpPost.status, 403);
}

// ---- CORS ---------------------------------------------------------------------------------------

class OAuthCors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = TestGateway::withAuth().release(); }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }
  uint16_t port() const { return gateway_->port(); }
  static TestGateway* gateway_;
};
TestGateway* OAuthCors::gateway_ = nullptr;

TEST_F(OAuthCors, PreflightsOfCrossOriginEndpointsAreAnswered) {
  for (const std::string& path : std::vector<std::string>{
           "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server",
           "/.well-known/openid-configuration", "/oauth/token", "/oauth/register", "/oauth/jwks",
           "/oauth/revoke"}) {
    const HttpResult r =
        request(port(), "OPTIONS", path,
                {{"Origin", "https://claude.ai"},
                 {"Access-Control-Request-Method", "POST"},
                 {"Access-Control-Request-Headers", "authorization, content-type"}});
    EXPECT_EQ(r.status, 204) << path;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), std::string("*")) << path;
    const std::string methods = r.header("Access-Control-Allow-Methods").value_or("");
    EXPECT_NE(methods.find("POST"), std::string::npos) << path;
    EXPECT_NE(methods.find("GET"), std::string::npos) << path;
    const std::string headers =
        common::toLower(r.header("Access-Control-Allow-Headers").value_or(""));
    EXPECT_NE(headers.find("authorization"), std::string::npos) << path;
    EXPECT_NE(headers.find("content-type"), std::string::npos) << path;
    // No credentials are involved, so "*" must not come with Allow-Credentials.
    EXPECT_FALSE(r.header("Access-Control-Allow-Credentials").has_value()) << path;
  }
}

TEST_F(OAuthCors, ResponsesOfCrossOriginEndpointsCarryCors) {
  const HttpResult meta = request(port(), "GET", "/.well-known/oauth-authorization-server",
                                  {{"Origin", "https://a.example"}});
  EXPECT_EQ(meta.header("Access-Control-Allow-Origin"), std::string("*"));
  // Errors too, so a browser client can read why.
  const HttpResult token = request(
      port(), "POST", "/oauth/token",
      {{"Origin", "https://a.example"}, {"Content-Type", "application/x-www-form-urlencoded"}},
      "grant_type=nope&client_id=x");
  EXPECT_GE(token.status, 400);
  EXPECT_EQ(token.header("Access-Control-Allow-Origin"), std::string("*"));
  EXPECT_NE(token.header("Access-Control-Expose-Headers").value_or("").find("WWW-Authenticate"),
            std::string::npos);
  const HttpResult reg =
      request(port(), "POST", "/oauth/register",
              {{"Origin", "https://a.example"}, {"Content-Type", "application/json"}}, "{}");
  EXPECT_EQ(reg.status, 400);
  EXPECT_EQ(reg.header("Access-Control-Allow-Origin"), std::string("*"));
}

TEST_F(OAuthCors, TheHtmlPagesGetNoCors) {
  for (const std::string& path : std::vector<std::string>{
           "/oauth/authorize?client_id=x", "/oauth/login", "/oauth/consent", "/setup"}) {
    const HttpResult get = request(port(), "GET", path, {{"Origin", "https://evil.example"}});
    EXPECT_FALSE(get.header("Access-Control-Allow-Origin").has_value()) << path;
    const HttpResult preflight =
        request(port(), "OPTIONS", path.substr(0, path.find('?')),
                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_FALSE(preflight.header("Access-Control-Allow-Origin").has_value()) << path;
    EXPECT_NE(preflight.status, 204) << path;
  }
}

}  // namespace
}  // namespace portcullis::testing::oauth_it
