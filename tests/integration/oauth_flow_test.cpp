// The whole sign-in over real HTTP against an in-process gateway with the
// built-in identity plugin: the one-time setup link creates the first
// administrator, a client registers itself, the user signs in and consents
// in the pages, the code is exchanged with PKCE, the token opens /mcp; then
// refresh rotation, revocation, key rotation by another process, and grant
// revocation through the change log.

#include <gtest/gtest.h>

#include <algorithm>

#include "core/common/crypto.hpp"
#include "core/oauth/client_registry.hpp"
#include "core/oauth/jwt.hpp"
#include "tests/integration/oauth_support.hpp"

namespace portcullis::testing::oauth_it {
namespace {

const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string kPassword = "an administrator password";
const std::string kRedirect = "http://127.0.0.1:9/callback";

// The first administrator, "root", through the setup link the server prints.
void createAdministrator(TestGateway& gateway) {
  const auto url = gateway.gateway().setupUrl();
  ASSERT_TRUE(url.has_value());
  const std::string path = url->substr(url->find("/setup"));
  Browser b(gateway.port());
  const HttpResult page = b.get(path);
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string token = *param(queryOf(path), "token");
  const HttpResult done = b.post("/setup", {{"csrf", hiddenField(page.body, "csrf").value_or("")},
                                            {"token", token},
                                            {"username", "root"},
                                            {"email", "root@example.com"},
                                            {"password", kPassword},
                                            {"confirm", kPassword}});
  ASSERT_EQ(done.status, 200) << done.body;
  // Used once: the link is dead now, and no second link is offered.
  EXPECT_EQ(b.get(path).status, 404);
  EXPECT_FALSE(gateway.gateway().setupUrl().has_value());
}

std::string registerPublicClient(uint16_t port) {
  const HttpResult r =
      request(port, "POST", "/oauth/register", {{"Content-Type", "application/json"}},
              R"J({"client_name":"Flow test","redirect_uris":["http://127.0.0.1/callback"],
                                    "token_endpoint_auth_method":"none"})J");
  EXPECT_EQ(r.status, 201) << r.body;
  return json::getString(object(r.body), "client_id").value_or("");
}

// Opens the sign-in page of a fresh flow and submits username and password.
HttpResult tryPassword(uint16_t port, const std::string& clientId, const std::string& user,
                       const std::string& password, const Headers& extra = {}) {
  Browser b(port);
  const HttpResult login =
      b.get("/oauth/authorize?" + formEncode({{"client_id", clientId},
                                              {"response_type", "code"},
                                              {"code_challenge", std::string(43, 'c')},
                                              {"code_challenge_method", "S256"}}));
  EXPECT_EQ(login.status, 200) << login.body.substr(0, 200);
  return b.post("/oauth/login",
                {{"csrf", hiddenField(login.body, "csrf").value_or("")},
                 {"flow", hiddenField(login.body, "flow").value_or("")},
                 {"username", user},
                 {"password", password}},
                extra);
}

class OAuthFlow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = TestGateway::withAuth().release();
    createAdministrator(*gateway_);
  }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }
  uint16_t port() const { return gateway_->port(); }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port()); }

  std::string registerClient() { return registerPublicClient(port()); }

  std::string authorizePath(const std::string& clientId, const std::string& extra = "") const {
    return "/oauth/authorize?" +
           formEncode({{"client_id", clientId},
                       {"redirect_uri", kRedirect},
                       {"response_type", "code"},
                       {"code_challenge", common::base64UrlEncode(common::sha256(kVerifier))},
                       {"code_challenge_method", "S256"},
                       {"state", "s-1"},
                       {"resource", base() + "/mcp"}}) +
           extra;
  }

  // Sign-in and consent in the pages; returns the code.
  std::string code(Browser& b, const std::string& clientId,
                   const std::string& password = kPassword) {
    const HttpResult login = b.get(authorizePath(clientId));
    EXPECT_EQ(login.status, 200) << login.body.substr(0, 300);
    EXPECT_EQ(login.header("X-Frame-Options"), std::string("DENY"));
    const HttpResult posted =
        b.post("/oauth/login", {{"csrf", hiddenField(login.body, "csrf").value_or("")},
                                {"flow", hiddenField(login.body, "flow").value_or("")},
                                {"username", "root"},
                                {"password", password}});
    if (posted.status != 303) return "";
    const HttpResult consent = b.get(posted.header("Location").value_or(""));
    EXPECT_EQ(consent.status, 200) << consent.body.substr(0, 300);
    const HttpResult approved =
        b.post("/oauth/consent", {{"csrf", hiddenField(consent.body, "csrf").value_or("")},
                                  {"flow", hiddenField(consent.body, "flow").value_or("")},
                                  {"decision", "approve"}});
    EXPECT_EQ(approved.status, 303);
    const std::string location = approved.header("Location").value_or("");
    EXPECT_EQ(location.rfind(kRedirect + "?", 0), 0u) << location;
    const auto q = queryOf(location);
    EXPECT_EQ(param(q, "iss"), base());
    EXPECT_EQ(param(q, "state"), std::string("s-1"));
    return param(q, "code").value_or("");
  }

  json::ObjectPtr exchange(const std::string& clientId, const std::string& code) {
    const HttpResult r = request(port(), "POST", "/oauth/token",
                                 {{"Content-Type", "application/x-www-form-urlencoded"}},
                                 formEncode({{"grant_type", "authorization_code"},
                                             {"code", code},
                                             {"redirect_uri", kRedirect},
                                             {"code_verifier", kVerifier},
                                             {"client_id", clientId}}));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), std::string("no-store"));
    return object(r.body);
  }

  json::ObjectPtr signIn(const std::string& clientId) {
    Browser b(port());
    return exchange(clientId, code(b, clientId));
  }

  static TestGateway* gateway_;
};
TestGateway* OAuthFlow::gateway_ = nullptr;

TEST_F(OAuthFlow, SignInConsentTokenAndMcp) {
  const std::string clientId = registerClient();
  const auto tokens = signIn(clientId);
  const std::string access = json::getString(tokens, "access_token").value_or("");
  ASSERT_FALSE(access.empty());
  const HttpResult who =
      mcp(port(), access, "tools/call", R"({"name":"whoami","arguments":{}})", "whoami");
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_NE(who.body.find("root"), std::string::npos) << who.body;
  // The token names this server as issuer and the MCP URL as audience.
  const auto jwt = oauth::decodeJwt(access);
  ASSERT_TRUE(jwt);
  EXPECT_EQ(json::getString(jwt->payload, "iss"), base());
  EXPECT_EQ(json::getString(jwt->payload, "aud"), base() + "/mcp");
  // Another name of the same loopback server accepts it as well.
  Headers h = http::modernHeaders("tools/list");
  h.emplace_back("Authorization", "Bearer " + access);
  h.emplace_back("Host", "localhost:" + std::to_string(port()));
  EXPECT_EQ(request(port(), "POST", "/mcp", h, http::modernRequest("1", "tools/list")).status, 200);
}

TEST_F(OAuthFlow, TheBuiltInIdentityRefusesAWrongPasswordWithAPage) {
  const std::string clientId = registerClient();
  Browser b(port());
  const HttpResult login = b.get(authorizePath(clientId));
  const HttpResult posted =
      b.post("/oauth/login", {{"csrf", hiddenField(login.body, "csrf").value_or("")},
                              {"flow", hiddenField(login.body, "flow").value_or("")},
                              {"username", "root"},
                              {"password", "not the password"}});
  EXPECT_EQ(posted.status, 401);
  EXPECT_FALSE(posted.header("Location").has_value());
  EXPECT_NE(posted.body.find("Invalid username or password."), std::string::npos);
}

TEST_F(OAuthFlow, CookiesOverHttpAreHttpOnlyAndLax) {
  const std::string clientId = registerClient();
  Browser b(port());
  code(b, clientId);
  ASSERT_GE(b.setCookies.size(), 2u);  // one before sign-in, a new one after
  for (const auto& c : b.setCookies) {
    EXPECT_NE(c.find("HttpOnly"), std::string::npos) << c;
    EXPECT_NE(c.find("SameSite=Lax"), std::string::npos) << c;
  }
  EXPECT_NE(b.setCookies.front().substr(0, b.setCookies.front().find(';')),
            b.setCookies.back().substr(0, b.setCookies.back().find(';')));
}

TEST_F(OAuthFlow, RefreshRotatesAndReuseRevokesTheFamily) {
  const std::string clientId = registerClient();
  const auto first = signIn(clientId);
  auto refresh = [&](const std::string& token) {
    return request(
        port(), "POST", "/oauth/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
        formEncode(
            {{"grant_type", "refresh_token"}, {"refresh_token", token}, {"client_id", clientId}}));
  };
  const HttpResult second = refresh(*json::getString(first, "refresh_token"));
  ASSERT_EQ(second.status, 200) << second.body;
  const std::string access = *json::getString(object(second.body), "access_token");
  EXPECT_EQ(mcp(port(), access, "tools/list").status, 200);
  const HttpResult reuse = refresh(*json::getString(first, "refresh_token"));
  EXPECT_EQ(reuse.status, 400);
  EXPECT_EQ(json::getString(object(reuse.body), "error"), std::string("invalid_grant"));
  // Revoked by this server: applied before the reuse was answered.
  EXPECT_EQ(mcp(port(), access, "tools/list").status, 401);
}

TEST_F(OAuthFlow, RevocationEndpointEndsTheTokensAtOnce) {
  const std::string clientId = registerClient();
  const auto tokens = signIn(clientId);
  const std::string access = *json::getString(tokens, "access_token");
  ASSERT_EQ(mcp(port(), access, "tools/list").status, 200);
  const HttpResult r = request(port(), "POST", "/oauth/revoke",
                               {{"Content-Type", "application/x-www-form-urlencoded"}},
                               formEncode({{"token", access}, {"client_id", clientId}}));
  EXPECT_EQ(r.status, 200);
  // Revoked by this server: applied before the revocation was answered.
  EXPECT_EQ(mcp(port(), access, "tools/list").status, 401);
}

TEST_F(OAuthFlow, AGrantRevokedByAnotherProcessEndsItsTokens) {
  const std::string clientId = registerClient();
  const std::string access = *json::getString(signIn(clientId), "access_token");
  ASSERT_EQ(mcp(port(), access, "tools/list").status, 200);
  Store store(*gateway_);
  const std::string gid = *json::getString(oauth::decodeJwt(access)->payload, "gid");
  store.grants.revokeGrant(gid);
  EXPECT_TRUE(eventually([&] { return mcp(port(), access, "tools/list").status == 401; }))
      << "the revocation written by another process did not reach the server";
}

TEST_F(OAuthFlow, AClientRevokedByAnotherProcessLosesItsTokens) {
  const std::string clientId = registerClient();
  const std::string access = *json::getString(signIn(clientId), "access_token");
  ASSERT_EQ(mcp(port(), access, "tools/list").status, 200);
  Store store(*gateway_);
  oauth::ClientRegistry registry(store.db, {}, oauth::FetcherOptions{}, false);
  std::string problem;
  ASSERT_TRUE(registry.revoke(clientId, problem)) << problem;
  EXPECT_TRUE(eventually([&] { return mcp(port(), access, "tools/list").status == 401; }));
  // And the client cannot start again.
  Browser b(port());
  EXPECT_EQ(b.get(authorizePath(clientId)).status, 401);
}

TEST_F(OAuthFlow, KeyRotationByAnotherProcessKeepsOldTokensAndPublishesBothKeys) {
  const std::string clientId = registerClient();
  const std::string before = *json::getString(signIn(clientId), "access_token");
  const std::string oldKid = *json::getString(oauth::decodeJwt(before)->header, "kid");
  Store store(*gateway_);
  oauth::KeyRing ring(store.db, oauth::loadSecretKey(gateway_->dataDir() + "/secret.key", false),
                      "ES256", std::chrono::hours(1));
  ring.load();
  const std::string newKid = ring.rotate()->kid();
  auto kids = [&] {
    std::vector<std::string> out;
    const HttpResult r = request(port(), "GET", "/oauth/jwks");
    if (auto keys = json::getArray(object(r.body), "keys")) {
      for (const auto& k : *keys)
        out.push_back(json::getString(json::asObject(k), "kid").value_or(""));
    }
    return out;
  };
  EXPECT_TRUE(eventually([&] {
    const auto k = kids();
    return std::find(k.begin(), k.end(), newKid) != k.end() &&
           std::find(k.begin(), k.end(), oldKid) != k.end();
  })) << "the JWKS does not list both keys";
  // New tokens are signed with the new key; the old token still works.
  EXPECT_TRUE(eventually([&] {
    const auto t = signIn(clientId);
    return json::getString(oauth::decodeJwt(*json::getString(t, "access_token"))->header, "kid") ==
           newKid;
  }));
  EXPECT_EQ(mcp(port(), before, "tools/list").status, 200);
}

TEST(OAuthThrottle, ForwardedForFromAnUntrustedPeerCannotDodgeTheAddressThrottle) {
  AuthOptions options;
  options.identityConfig =
      "{argon2: {time_cost: 1, memory_kib: 8192}, throttle: {account_failures: 1000, "
      "address_failures: 3, "
      "window_seconds: 3600}}";
  auto gateway = TestGateway::withAuth(options);
  createAdministrator(*gateway);
  const std::string clientId = registerPublicClient(gateway->port());
  // Three failures for three made-up accounts, each claiming another address.
  for (int i = 0; i < 3; ++i) {
    const HttpResult r =
        tryPassword(gateway->port(), clientId, "nobody" + std::to_string(i), "wrong password",
                    {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}});
    EXPECT_EQ(r.status, 401);
  }
  // The real address is what counts: now even the right password waits.
  const HttpResult blocked = tryPassword(gateway->port(), clientId, "root", kPassword,
                                         {{"X-Forwarded-For", "198.51.100.99"}});
  EXPECT_EQ(blocked.status, 401);
  EXPECT_NE(blocked.body.find("Too many"), std::string::npos) << blocked.body.substr(0, 400);
}

TEST(OAuthThrottle, ATrustedProxyPassesTheClientAddressOn) {
  AuthOptions options;
  options.server = "trusted_proxies: [\"127.0.0.1\"]";
  options.identityConfig =
      "{argon2: {time_cost: 1, memory_kib: 8192}, throttle: {account_failures: 1000, "
      "address_failures: 3, "
      "window_seconds: 3600}}";
  auto gateway = TestGateway::withAuth(options);
  createAdministrator(*gateway);
  const std::string clientId = registerPublicClient(gateway->port());
  for (int i = 0; i < 3; ++i) {
    tryPassword(gateway->port(), clientId, "nobody" + std::to_string(i), "wrong password",
                {{"X-Forwarded-For", "198.51.100.7"}});
  }
  // That client is throttled; another one behind the same proxy is not.
  const HttpResult blocked = tryPassword(gateway->port(), clientId, "root", kPassword,
                                         {{"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_NE(blocked.body.find("Too many"), std::string::npos);
  const HttpResult other = tryPassword(gateway->port(), clientId, "root", kPassword,
                                       {{"X-Forwarded-For", "198.51.100.8"}});
  EXPECT_EQ(other.status, 303) << other.body.substr(0, 400);
}

}  // namespace
}  // namespace portcullis::testing::oauth_it
