// The authorization server (core/oauth/authorization_server.hpp), driven
// through HttpRequest values the way the transport hands them over: the
// discovery documents, the whole authorization-code flow with PKCE, where
// errors may and may not be redirected, CSRF and Origin checks, cookies and
// security headers, the token, revocation, introspection and registration
// endpoints, and the one-time setup page.

#include "core/oauth/authorization_server.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;
using testing::Browser;
using testing::challengeFor;
using testing::form;
using testing::headerOf;
using testing::headersOf;
using testing::hiddenField;
using testing::makeRequest;
using testing::object;
using testing::param;
using testing::queryOf;
using testing::tokenRequest;
using testing::World;
using testing::WorldOptions;

const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string kRedirect = "https://app.example/cb";
const std::string kPassword = "correct horse battery";

// `pairs` with `name` replaced by `value` (or removed).
Pairs with(Pairs pairs, const std::string& name, const std::optional<std::string>& value) {
  Pairs out;
  for (auto& p : pairs) {
    if (p.first != name) out.push_back(p);
  }
  if (value) out.emplace_back(name, *value);
  return out;
}

WorldOptions withConfiguredClients() {
  WorldOptions o;
  config::ConfiguredClient service;
  service.clientId = "svc";
  service.name = "Service";
  service.redirectUris = {"https://svc.example/cb"};
  service.grantTypes = {"client_credentials"};
  service.secret = "service secret of enough length";
  service.scope = "tools:read tools:call";
  config::ConfiguredClient web;
  web.clientId = "webapp";
  web.name = "Web app";
  web.redirectUris = {"https://web.example/cb", "https://web.example/other"};
  web.grantTypes = {"authorization_code", "refresh_token"};
  web.secret = "web app secret of enough length";
  o.configured = {service, web};
  return o;
}

class AuthorizationServerTest : public ::testing::Test {
 protected:
  AuthorizationServerTest() : world_(withConfiguredClients()) {
    alice_ = world_.addUser("alice", kPassword);
    clientId_ =
        registerClient(R"J({"client_name":"Test App","redirect_uris":["https://app.example/cb"],
                                   "token_endpoint_auth_method":"none"})J");
  }

  std::optional<HttpResponse> handle(const HttpRequest& r) {
    return world_.authorization->handle(r);
  }
  HttpResponse must(const HttpRequest& r) {
    auto response = handle(r);
    EXPECT_TRUE(response.has_value()) << r.path;
    return response ? *response : HttpResponse{};
  }

  std::string registerClient(const std::string& metadata) {
    const auto r = must(makeRequest("POST", "/oauth/register", {}, metadata,
                                    {{"Content-Type", "application/json"}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return json::getString(object(r.body), "client_id").value_or("");
  }

  Pairs authorizeParams(const std::string& clientId = "",
                        const std::string& redirect = kRedirect) const {
    return {{"client_id", clientId.empty() ? clientId_ : clientId},
            {"redirect_uri", redirect},
            {"response_type", "code"},
            {"code_challenge", challengeFor(kVerifier)},
            {"code_challenge_method", "S256"},
            {"state", "state-123"}};
  }

  // Sign-in page → 303 → consent page; returns the consent page.
  HttpResponse signIn(Browser& b, const HttpResponse& loginPage, const std::string& user = "alice",
                      const std::string& password = kPassword) {
    EXPECT_EQ(loginPage.status, 200) << loginPage.body.substr(0, 300);
    const auto posted =
        b.post("/oauth/login", {{"csrf", hiddenField(loginPage.body, "csrf").value_or("")},
                                {"flow", hiddenField(loginPage.body, "flow").value_or("")},
                                {"username", user},
                                {"password", password}});
    EXPECT_EQ(posted.status, 303) << posted.body.substr(0, 300);
    return b.follow(posted);
  }
  HttpResponse approve(Browser& b, const HttpResponse& consentPage, bool remember = false) {
    EXPECT_EQ(consentPage.status, 200) << consentPage.body.substr(0, 300);
    Pairs fields{{"csrf", hiddenField(consentPage.body, "csrf").value_or("")},
                 {"flow", hiddenField(consentPage.body, "flow").value_or("")},
                 {"decision", "approve"}};
    if (remember) fields.emplace_back("remember", "on");
    return b.post("/oauth/consent", fields);
  }
  // The whole front channel: returns the final redirect to the client.
  HttpResponse authorize(Browser& b, const Pairs& params, bool remember = false) {
    const auto login = b.get("/oauth/authorize", params);
    return approve(b, signIn(b, login), remember);
  }
  std::string codeFrom(const HttpResponse& redirect) {
    return param(queryOf(headerOf(redirect, "Location").value_or("")), "code").value_or("");
  }
  HttpResponse exchange(const std::string& code, const std::string& verifier = kVerifier,
                        const std::string& clientId = "") {
    return must(tokenRequest({{"grant_type", "authorization_code"},
                              {"code", code},
                              {"redirect_uri", kRedirect},
                              {"code_verifier", verifier},
                              {"client_id", clientId.empty() ? clientId_ : clientId}}));
  }
  // A complete authorization: the token response body.
  json::ObjectPtr tokens(const Pairs& params = {}) {
    Browser b(*world_.authorization);
    const auto redirect = authorize(b, params.empty() ? authorizeParams() : params);
    const auto response = exchange(codeFrom(redirect));
    EXPECT_EQ(response.status, 200) << response.body;
    return object(response.body);
  }
  BearerCheck check(const std::string& accessToken) {
    return world_.resource->check("Bearer " + accessToken, World::kBase);
  }
  static void expectOAuthError(const HttpResponse& r, int status, const std::string& error) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(json::getString(object(r.body), "error"), error) << r.body;
    EXPECT_EQ(r.contentType, "application/json");
  }
  static void expectNoRedirect(const HttpResponse& r) {
    EXPECT_FALSE(headerOf(r, "Location").has_value())
        << "redirected to " << headerOf(r, "Location").value_or("");
    EXPECT_GE(r.status, 400);
    EXPECT_LT(r.status, 500);
  }
  static void expectSecurityHeaders(const HttpResponse& r) {
    const std::string csp = headerOf(r, "Content-Security-Policy").value_or("");
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(headerOf(r, "X-Frame-Options"), std::string("DENY"));
    EXPECT_EQ(headerOf(r, "Referrer-Policy"), std::string("no-referrer"));
    EXPECT_EQ(headerOf(r, "X-Content-Type-Options"), std::string("nosniff"));
    EXPECT_EQ(headerOf(r, "Cache-Control"), std::string("no-store"));
  }

  World world_;
  User alice_;
  std::string clientId_;
};

// ---- discovery --------------------------------------------------------------------------

TEST_F(AuthorizationServerTest, ProtectedResourceMetadataNamesTheMcpUrl) {
  for (const std::string& path : std::vector<std::string>{
           "/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"}) {
    const auto r = must(makeRequest("GET", path));
    ASSERT_EQ(r.status, 200) << path;
    const auto body = object(r.body);
    EXPECT_EQ(json::getString(body, "resource"), std::string("http://127.0.0.1:8080/mcp"));
    const auto servers = json::getArray(body, "authorization_servers");
    ASSERT_TRUE(servers && servers->size() == 1);
    EXPECT_EQ(servers->getElement<std::string>(0), "http://127.0.0.1:8080");
    EXPECT_EQ(headerOf(r, "Access-Control-Allow-Origin"), std::string("*"));
  }
  EXPECT_EQ(must(makeRequest("GET", "/.well-known/oauth-protected-resource/other")).status, 404);
  EXPECT_EQ(must(makeRequest("POST", "/.well-known/oauth-protected-resource")).status, 405);
}

TEST(AuthorizationServerPublicUrl, TheConfiguredUrlWinsOverTheRequest) {
  WorldOptions o;
  o.publicUrl = "https://mcp.example.com";
  World world(o);
  const auto r =
      world.authorization->handle(makeRequest("GET", "/.well-known/oauth-protected-resource"));
  ASSERT_TRUE(r);
  EXPECT_EQ(json::getString(object(r->body), "resource"),
            std::string("https://mcp.example.com/mcp"));
  const auto as =
      world.authorization->handle(makeRequest("GET", "/.well-known/oauth-authorization-server"));
  EXPECT_EQ(json::getString(object(as->body), "issuer"), std::string("https://mcp.example.com"));
  EXPECT_EQ(json::getString(object(as->body), "token_endpoint"),
            std::string("https://mcp.example.com/oauth/token"));
}

TEST_F(AuthorizationServerTest, AuthorizationServerMetadata) {
  for (const std::string& path : std::vector<std::string>{"/.well-known/oauth-authorization-server",
                                                          "/.well-known/openid-configuration"}) {
    const auto r = must(makeRequest("GET", path));
    ASSERT_EQ(r.status, 200);
    const auto m = object(r.body);
    EXPECT_EQ(json::getString(m, "issuer"), std::string(World::kBase));
    EXPECT_EQ(json::getString(m, "authorization_endpoint"),
              std::string(World::kBase) + "/oauth/authorize");
    EXPECT_EQ(json::getString(m, "token_endpoint"), std::string(World::kBase) + "/oauth/token");
    EXPECT_EQ(json::getString(m, "registration_endpoint"),
              std::string(World::kBase) + "/oauth/register");
    EXPECT_EQ(json::getString(m, "jwks_uri"), std::string(World::kBase) + "/oauth/jwks");
    EXPECT_EQ(json::stringify(json::getArray(m, "code_challenge_methods_supported")),
              R"(["S256"])");
    EXPECT_EQ(json::stringify(json::getArray(m, "response_types_supported")), R"(["code"])");
    EXPECT_EQ(json::getBool(m, "authorization_response_iss_parameter_supported"), true);
    EXPECT_EQ(headerOf(r, "Access-Control-Allow-Origin"), std::string("*"));
  }
}

TEST_F(AuthorizationServerTest, JwksPublishesTheSigningKey) {
  const auto r = must(makeRequest("GET", "/oauth/jwks"));
  ASSERT_EQ(r.status, 200);
  const auto keys = json::getArray(object(r.body), "keys");
  ASSERT_TRUE(keys && keys->size() == 1);
  EXPECT_EQ(json::getString(keys->getObject(0), "kid"), world_.keys.current()->kid());
  EXPECT_FALSE(keys->getObject(0)->has("d"));
  EXPECT_EQ(must(makeRequest("POST", "/oauth/jwks")).status, 405);
}

TEST_F(AuthorizationServerTest, PathsItDoesNotOwnAreNotAnswered) {
  EXPECT_FALSE(handle(makeRequest("GET", "/mcp")).has_value());
  EXPECT_FALSE(handle(makeRequest("GET", "/")).has_value());
  const auto unknown = must(makeRequest("GET", "/oauth/unknown"));
  EXPECT_EQ(unknown.status, 404);
}

TEST_F(AuthorizationServerTest, TheChallengeNamesTheMetadataAndScopes) {
  EXPECT_EQ(world_.authorization->challenge(World::kBase, "", "", ""),
            "Bearer "
            "resource_metadata=\"http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp\", "
            "scope=\"tools:read tools:call resources:read prompts:read\"");
  const std::string c = world_.authorization->challenge(World::kBase, "invalid_token",
                                                        "bad \"quoted\" \\ text\r\n", "tools:call");
  EXPECT_EQ(c.find("\r"), std::string::npos);
  EXPECT_NE(c.find("error=\"invalid_token\""), std::string::npos) << c;
  EXPECT_NE(c.find("error_description=\"bad quoted  text\""), std::string::npos) << c;
  EXPECT_NE(c.find("scope=\"tools:call\""), std::string::npos) << c;
}

// ---- the whole flow -----------------------------------------------------------------------

TEST_F(AuthorizationServerTest, TheAuthorizationCodeFlowWithPkce) {
  Browser b(*world_.authorization);
  const auto login = b.get("/oauth/authorize", authorizeParams());
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_NE(login.body.find("Test App"), std::string::npos);
  expectSecurityHeaders(login);
  const auto consent = signIn(b, login);
  ASSERT_EQ(consent.status, 200) << consent.body;
  expectSecurityHeaders(consent);
  EXPECT_NE(consent.body.find("alice"), std::string::npos);
  const auto redirect = approve(b, consent);
  ASSERT_EQ(redirect.status, 303);
  const std::string location = headerOf(redirect, "Location").value_or("");
  ASSERT_TRUE(common::startsWith(location, kRedirect + "?")) << location;
  const Pairs q = queryOf(location);
  EXPECT_EQ(param(q, "state"), std::string("state-123"));
  EXPECT_EQ(param(q, "iss"), std::string(World::kBase));
  EXPECT_EQ(headerOf(redirect, "Referrer-Policy"), std::string("no-referrer"));
  EXPECT_EQ(headerOf(redirect, "Cache-Control"), std::string("no-store"));

  const auto response = exchange(*param(q, "code"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(headerOf(response, "Cache-Control"), std::string("no-store"));
  const auto body = object(response.body);
  EXPECT_EQ(json::getString(body, "token_type"), std::string("Bearer"));
  EXPECT_EQ(json::getInt(body, "expires_in"), 3600);
  EXPECT_TRUE(json::getString(body, "refresh_token").has_value());
  EXPECT_EQ(json::getString(body, "scope"),
            std::string("tools:read tools:call resources:read prompts:read"));
  const std::string accessToken = *json::getString(body, "access_token");
  const auto decoded = decodeJwt(accessToken);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(json::getString(decoded->header, "typ"), std::string("at+jwt"));
  EXPECT_EQ(json::getString(decoded->payload, "aud"), std::string("http://127.0.0.1:8080/mcp"));
  EXPECT_EQ(json::getString(decoded->payload, "client_id"), clientId_);
  const auto caller = check(accessToken);
  ASSERT_EQ(caller.result, BearerCheck::Result::Ok) << caller.reason;
  EXPECT_EQ(caller.caller.subject, alice_.id);
  EXPECT_EQ(caller.caller.username, "alice");
}

TEST_F(AuthorizationServerTest, ACodeWorksOnceAndItsReuseRevokesTheTokens) {
  Browser b(*world_.authorization);
  const std::string code = codeFrom(authorize(b, authorizeParams()));
  const auto first = exchange(code);
  ASSERT_EQ(first.status, 200);
  const std::string accessToken = *json::getString(object(first.body), "access_token");
  const std::string refresh = *json::getString(object(first.body), "refresh_token");
  expectOAuthError(exchange(code), 400, "invalid_grant");
  world_.poll();
  EXPECT_EQ(check(accessToken).result, BearerCheck::Result::Invalid);
  expectOAuthError(
      must(tokenRequest(
          {{"grant_type", "refresh_token"}, {"refresh_token", refresh}, {"client_id", clientId_}})),
      400, "invalid_grant");
}

TEST_F(AuthorizationServerTest, AWrongVerifierBurnsTheCode) {
  Browser b(*world_.authorization);
  const std::string code = codeFrom(authorize(b, authorizeParams()));
  expectOAuthError(exchange(code, std::string(43, 'w')), 400, "invalid_grant");
  expectOAuthError(exchange(code), 400, "invalid_grant");
}

TEST_F(AuthorizationServerTest, TheCodeIsBoundToTheClient) {
  const std::string other = registerClient(R"J({"redirect_uris":["https://app.example/cb"],
                                               "token_endpoint_auth_method":"none"})J");
  Browser b(*world_.authorization);
  const std::string code = codeFrom(authorize(b, authorizeParams()));
  expectOAuthError(exchange(code, kVerifier, other), 400, "invalid_grant");
  expectOAuthError(exchange(code), 400, "invalid_grant");  // burned
}

TEST_F(AuthorizationServerTest, PkceIsRequiredAndOnlyS256) {
  Browser b(*world_.authorization);
  struct Case {
    std::string name;
    Pairs params;
  };
  const std::vector<Case> cases{
      {"no challenge", with(authorizeParams(), "code_challenge", std::nullopt)},
      {"no method", with(authorizeParams(), "code_challenge_method", std::nullopt)},
      {"plain", with(authorizeParams(), "code_challenge_method", "plain")},
      {"s256 lowercase", with(authorizeParams(), "code_challenge_method", "s256")},
      {"plain challenge", with(with(authorizeParams(), "code_challenge_method", "plain"),
                               "code_challenge", kVerifier)},
      {"short challenge", with(authorizeParams(), "code_challenge", "abc")},
      {"padded challenge",
       with(authorizeParams(), "code_challenge", challengeFor(kVerifier) + "=")},
  };
  for (const auto& c : cases) {
    const auto r = b.get("/oauth/authorize", c.params);
    ASSERT_EQ(r.status, 302) << c.name;
    const Pairs q = queryOf(headerOf(r, "Location").value_or(""));
    EXPECT_EQ(param(q, "error"), std::string("invalid_request")) << c.name;
    EXPECT_EQ(param(q, "state"), std::string("state-123")) << c.name;
    EXPECT_EQ(param(q, "iss"), std::string(World::kBase)) << c.name;
  }
  // At the token endpoint the verifier is required.
  const std::string code = codeFrom(authorize(b, authorizeParams()));
  expectOAuthError(must(tokenRequest({{"grant_type", "authorization_code"},
                                      {"code", code},
                                      {"redirect_uri", kRedirect},
                                      {"client_id", clientId_}})),
                   400, "invalid_request");
}

TEST_F(AuthorizationServerTest, ErrorRedirectsCarryIssAndState) {
  Browser b(*world_.authorization);
  for (const auto& [params, error] : std::vector<std::pair<Pairs, std::string>>{
           {with(authorizeParams(), "response_type", "token"), "unsupported_response_type"},
           {with(authorizeParams(), "response_type", std::nullopt), "unsupported_response_type"},
           {with(authorizeParams(), "resource", "https://other.example/mcp"), "invalid_target"},
           {with(authorizeParams(), "prompt", "none"), "login_required"},
       }) {
    const auto r = b.get("/oauth/authorize", params);
    ASSERT_EQ(r.status, 302) << error;
    const std::string location = headerOf(r, "Location").value_or("");
    EXPECT_TRUE(common::startsWith(location, kRedirect + "?")) << location;
    const Pairs q = queryOf(location);
    EXPECT_EQ(param(q, "error"), error);
    EXPECT_EQ(param(q, "state"), std::string("state-123"));
    EXPECT_EQ(param(q, "iss"), std::string(World::kBase));
    EXPECT_FALSE(param(q, "code").has_value());
  }
}

TEST_F(AuthorizationServerTest, TheResourceIsBoundIntoTheToken) {
  const auto body = tokens(with(authorizeParams(), "resource", "http://127.0.0.1:8080/mcp"));
  const auto decoded = decodeJwt(*json::getString(body, "access_token"));
  EXPECT_EQ(json::getString(decoded->payload, "aud"), std::string("http://127.0.0.1:8080/mcp"));
  // The token endpoint refuses another resource.
  Browser b(*world_.authorization);
  const std::string code = codeFrom(authorize(b, authorizeParams()));
  expectOAuthError(must(tokenRequest({{"grant_type", "authorization_code"},
                                      {"code", code},
                                      {"redirect_uri", kRedirect},
                                      {"code_verifier", kVerifier},
                                      {"client_id", clientId_},
                                      {"resource", "https://other.example/mcp"}})),
                   400, "invalid_target");
}

// ---- errors that must not redirect --------------------------------------------------------

TEST_F(AuthorizationServerTest, AnUnknownClientOrRedirectUriGetsAPageNotARedirect) {
  Browser b(*world_.authorization);
  const std::vector<std::pair<std::string, Pairs>> cases{
      {"unknown client", with(authorizeParams(), "client_id", "pc_nobody")},
      {"no client", with(authorizeParams(), "client_id", std::nullopt)},
      {"empty client", with(authorizeParams(), "client_id", "")},
      {"unregistered redirect", with(authorizeParams(), "redirect_uri", "https://evil.example/cb")},
      {"trailing slash", with(authorizeParams(), "redirect_uri", kRedirect + "/")},
      {"extra query", with(authorizeParams(), "redirect_uri", kRedirect + "?x=1")},
      {"upper case host", with(authorizeParams(), "redirect_uri", "https://APP.example/cb")},
      {"fragment", with(authorizeParams(), "redirect_uri", kRedirect + "#x")},
      {"javascript", with(authorizeParams(), "redirect_uri", "javascript:alert(1)")},
      {"duplicate client_id",
       [&] {
         Pairs p = authorizeParams();
         p.emplace_back("client_id", "pc_other");
         return p;
       }()},
      {"duplicate redirect_uri",
       [&] {
         Pairs p = authorizeParams();
         p.emplace_back("redirect_uri", "https://evil.example/cb");
         return p;
       }()},
      {"two registered, none named",
       with(with(authorizeParams(), "client_id", "webapp"), "redirect_uri", std::nullopt)},
  };
  for (const auto& [name, params] : cases) {
    // Even with every other parameter wrong too.
    for (const Pairs& p : {params, with(params, "response_type", "token")}) {
      const auto r = b.get("/oauth/authorize", p);
      expectNoRedirect(r);
      EXPECT_EQ(r.contentType, "text/html; charset=utf-8") << name;
      expectSecurityHeaders(r);
    }
    const auto asJson = b.get("/oauth/authorize", params, {{"Accept", "application/json"}});
    expectNoRedirect(asJson);
    EXPECT_EQ(asJson.contentType, "application/json") << name;
  }
}

TEST_F(AuthorizationServerTest, ARevokedClientCannotStartAFlow) {
  std::string problem;
  ASSERT_TRUE(world_.clients.revoke(clientId_, problem));
  Browser b(*world_.authorization);
  const auto r = b.get("/oauth/authorize", authorizeParams());
  expectNoRedirect(r);
  EXPECT_EQ(r.status, 401);
}

TEST_F(AuthorizationServerTest, AClientThatMayNotUseCodesGetsAPage) {
  Browser b(*world_.authorization);
  const auto r = b.get("/oauth/authorize", authorizeParams("svc", "https://svc.example/cb"));
  expectNoRedirect(r);
}

TEST_F(AuthorizationServerTest, LoopbackRedirectsMayUseAnyPort) {
  const std::string native = registerClient(R"J({"redirect_uris":["http://127.0.0.1/callback"],
                                                "token_endpoint_auth_method":"none"})J");
  Browser b(*world_.authorization);
  const auto login =
      b.get("/oauth/authorize", authorizeParams(native, "http://127.0.0.1:49152/callback"));
  const auto redirect = approve(b, signIn(b, login));
  EXPECT_TRUE(common::startsWith(headerOf(redirect, "Location").value_or(""),
                                 "http://127.0.0.1:49152/callback?"));
  expectNoRedirect(
      b.get("/oauth/authorize", authorizeParams(native, "http://localhost:49152/callback")));
  expectNoRedirect(
      b.get("/oauth/authorize", authorizeParams(native, "http://127.0.0.1:49152/callback/")));
}

// ---- sign-in, consent, CSRF, cookies --------------------------------------------------------

TEST_F(AuthorizationServerTest, CookiesAreHttpOnlyLaxAndHostPrefixedUnderHttps) {
  {
    Browser b(*world_.authorization);
    b.get("/oauth/authorize", authorizeParams());
    ASSERT_EQ(b.setCookies.size(), 1u);
    const std::string c = b.setCookies[0];
    EXPECT_TRUE(common::startsWith(c, "pc_session=")) << c;
    EXPECT_NE(c.find("HttpOnly"), std::string::npos) << c;
    EXPECT_NE(c.find("SameSite=Lax"), std::string::npos) << c;
    EXPECT_NE(c.find("Path=/"), std::string::npos) << c;
  }
  Browser b(*world_.authorization, "https://mcp.example.com");
  const auto login = b.get("/oauth/authorize", authorizeParams());
  ASSERT_EQ(b.setCookies.size(), 1u);
  const std::string c = b.setCookies[0];
  EXPECT_TRUE(common::startsWith(c, "__Host-pc_session=")) << c;
  EXPECT_NE(c.find("Secure"), std::string::npos) << c;
  EXPECT_NE(c.find("HttpOnly"), std::string::npos) << c;
  EXPECT_NE(c.find("SameSite=Lax"), std::string::npos) << c;
  EXPECT_NE(c.find("Path=/"), std::string::npos) << c;
  EXPECT_EQ(c.find("Domain"), std::string::npos) << c;
  // The flow works there too, with the iss of that origin.
  const auto redirect = approve(b, signIn(b, login));
  EXPECT_EQ(param(queryOf(headerOf(redirect, "Location").value_or("")), "iss"),
            std::string("https://mcp.example.com"));
  for (const auto& set : b.setCookies) EXPECT_TRUE(common::startsWith(set, "__Host-")) << set;
}

TEST_F(AuthorizationServerTest, TheSessionIdChangesAtSignIn) {
  Browser b(*world_.authorization);
  const auto login = b.get("/oauth/authorize", authorizeParams());
  const std::string before = b.cookies["pc_session"];
  const std::string flow = *hiddenField(login.body, "flow");
  const auto posted = b.post("/oauth/login", {{"csrf", *hiddenField(login.body, "csrf")},
                                              {"flow", flow},
                                              {"username", "alice"},
                                              {"password", kPassword}});
  ASSERT_EQ(posted.status, 303);
  const std::string after = b.cookies["pc_session"];
  EXPECT_NE(after, before);
  // A session planted before sign-in is worth nothing after it.
  Browser attacker(*world_.authorization);
  attacker.cookies["pc_session"] = before;
  const auto stolen = attacker.get("/oauth/consent", {{"flow", flow}});
  expectNoRedirect(stolen);
  EXPECT_EQ(stolen.body.find("alice"), std::string::npos);
  // The new one continues.
  EXPECT_EQ(b.follow(posted).status, 200);
}

TEST_F(AuthorizationServerTest, LoginNeedsTheCsrfTokenAndASameOriginPost) {
  Browser b(*world_.authorization);
  const auto login = b.get("/oauth/authorize", authorizeParams());
  const std::string csrf = *hiddenField(login.body, "csrf");
  const std::string flow = *hiddenField(login.body, "flow");
  const Pairs good{{"csrf", csrf}, {"flow", flow}, {"username", "alice"}, {"password", kPassword}};
  const std::vector<std::pair<std::string, HttpResponse>> refused{
      {"no csrf", b.post("/oauth/login", with(good, "csrf", std::nullopt))},
      {"wrong csrf", b.post("/oauth/login", with(good, "csrf", csrf + "x"))},
      {"empty csrf", b.post("/oauth/login", with(good, "csrf", ""))},
      {"two csrf",
       [&] {
         Pairs p = good;
         p.emplace_back("csrf", csrf);
         return b.post("/oauth/login", p);
       }()},
      {"foreign origin", b.post("/oauth/login", good, {{"Origin", "https://evil.example"}})},
      {"lookalike origin",
       b.post("/oauth/login", good, {{"Origin", "http://127.0.0.1:8080.evil.example"}})},
      {"other port", b.post("/oauth/login", good, {{"Origin", "http://127.0.0.1:8081"}})},
      {"unknown flow", b.post("/oauth/login", with(good, "flow", "nope"))},
  };
  for (const auto& [name, r] : refused) {
    EXPECT_EQ(r.status, 400) << name;
    expectNoRedirect(r);
    expectSecurityHeaders(r);
  }
  // Without the session cookie.
  Browser stranger(*world_.authorization);
  EXPECT_EQ(stranger.post("/oauth/login", good).status, 400);
  // The same-origin post works (browsers send Origin: null under no-referrer).
  EXPECT_EQ(b.post("/oauth/login", good, {{"Origin", "null"}}).status, 303);
}

TEST_F(AuthorizationServerTest, ConsentNeedsTheCsrfTokenAndASameOriginPost) {
  Browser b(*world_.authorization);
  const auto consent = signIn(b, b.get("/oauth/authorize", authorizeParams()));
  const Pairs good{{"csrf", *hiddenField(consent.body, "csrf")},
                   {"flow", *hiddenField(consent.body, "flow")},
                   {"decision", "approve"}};
  for (const auto& r : {b.post("/oauth/consent", with(good, "csrf", "forged")),
                        b.post("/oauth/consent", with(good, "csrf", std::nullopt)),
                        b.post("/oauth/consent", good, {{"Origin", "https://evil.example"}})}) {
    EXPECT_EQ(r.status, 400);
    expectNoRedirect(r);
  }
  EXPECT_EQ(world_.db.query("SELECT COUNT(*) FROM auth_codes").front().integer(0), 0);
  EXPECT_EQ(b.post("/oauth/consent", good, {{"Origin", World::kBase}}).status, 303);
}

TEST_F(AuthorizationServerTest, TheCsrfTokenFromBeforeSignInIsRetired) {
  Browser b(*world_.authorization);
  const auto login = b.get("/oauth/authorize", authorizeParams());
  const std::string oldCsrf = *hiddenField(login.body, "csrf");
  const auto consent = signIn(b, login);
  EXPECT_NE(*hiddenField(consent.body, "csrf"), oldCsrf);
  const auto r = b.post(
      "/oauth/consent",
      {{"csrf", oldCsrf}, {"flow", *hiddenField(consent.body, "flow")}, {"decision", "approve"}});
  EXPECT_EQ(r.status, 400);
}

TEST_F(AuthorizationServerTest, DenyingRedirectsWithAccessDenied) {
  Browser b(*world_.authorization);
  const auto consent = signIn(b, b.get("/oauth/authorize", authorizeParams()));
  const auto r = b.post("/oauth/consent", {{"csrf", *hiddenField(consent.body, "csrf")},
                                           {"flow", *hiddenField(consent.body, "flow")},
                                           {"decision", "deny"}});
  ASSERT_EQ(r.status, 303);
  const Pairs q = queryOf(headerOf(r, "Location").value_or(""));
  EXPECT_EQ(param(q, "error"), std::string("access_denied"));
  EXPECT_EQ(param(q, "state"), std::string("state-123"));
  EXPECT_EQ(param(q, "iss"), std::string(World::kBase));
  EXPECT_FALSE(param(q, "code"));
  // The flow is over: approving it now does nothing.
  const auto again = b.post("/oauth/consent", {{"csrf", *hiddenField(consent.body, "csrf")},
                                               {"flow", *hiddenField(consent.body, "flow")},
                                               {"decision", "approve"}});
  expectNoRedirect(again);
}

TEST_F(AuthorizationServerTest, AWrongPasswordAndAnUnknownUserLookTheSame) {
  world_.addUser("disabled", "another password here");
  world_.users.setDisabled("disabled", true);
  std::vector<std::string> messages;
  for (const auto& [user, password] :
       std::vector<std::pair<std::string, std::string>>{{"alice", "wrong password"},
                                                        {"mallory", "whatever it is"},
                                                        {"disabled", "another password here"}}) {
    Browser b(*world_.authorization);
    const auto login = b.get("/oauth/authorize", authorizeParams());
    const auto r = b.post("/oauth/login", {{"csrf", *hiddenField(login.body, "csrf")},
                                           {"flow", *hiddenField(login.body, "flow")},
                                           {"username", user},
                                           {"password", password}});
    EXPECT_EQ(r.status, 401) << user;
    expectNoRedirect(r);
    const size_t at = r.body.find("role=\"alert\">");
    messages.push_back(at == std::string::npos ? "" : r.body.substr(at, r.body.find('<', at) - at));
  }
  EXPECT_FALSE(messages[0].empty());
  EXPECT_EQ(messages[0], messages[1]);
  EXPECT_EQ(messages[0], messages[2]);
}

TEST_F(AuthorizationServerTest, TheIdentityProviderSeesTheClientAddressNotAForgedOne) {
  Browser b(*world_.authorization);
  const auto login = b.get("/oauth/authorize", authorizeParams());
  b.post("/oauth/login", {{"csrf", *hiddenField(login.body, "csrf")},
                          {"flow", *hiddenField(login.body, "flow")},
                          {"username", "alice"},
                          {"password", "nope"},
                          {"client_address", "10.9.9.9"}});
  ASSERT_TRUE(world_.identity.lastFields);
  EXPECT_EQ(json::getString(world_.identity.lastFields, "client_address"),
            std::string("127.0.0.1"));
  EXPECT_FALSE(world_.identity.lastFields->has("csrf"));
}

TEST_F(AuthorizationServerTest, RememberedConsentSkipsThePageUntilMoreIsAsked) {
  Browser b(*world_.authorization);
  const Pairs narrow = with(authorizeParams(), "scope", "tools:read");
  ASSERT_EQ(authorize(b, narrow, true).status, 303);
  // Signed in and consented: straight back with a code.
  const auto again = b.get("/oauth/authorize", narrow);
  ASSERT_EQ(again.status, 302) << again.body.substr(0, 200);
  EXPECT_FALSE(codeFrom(again).empty());
  EXPECT_EQ(exchange(codeFrom(again)).status, 200);
  // prompt=consent shows the page anyway; so does asking for more.
  EXPECT_EQ(b.get("/oauth/authorize", with(narrow, "prompt", "consent")).status, 200);
  EXPECT_EQ(
      b.get("/oauth/authorize", with(authorizeParams(), "scope", "tools:read tools:call")).status,
      200);
  // Without "remember", the next flow asks again.
  world_.addUser("bob", "bob's long password");
  Browser other(*world_.authorization);
  const auto login = other.get("/oauth/authorize", narrow);
  ASSERT_EQ(approve(other, signIn(other, login, "bob", "bob's long password"), false).status, 303);
  EXPECT_EQ(other.get("/oauth/authorize", with(narrow, "state", "s2")).status, 200);
}

TEST_F(AuthorizationServerTest, ScopesAreNormalisedAndLimitedToTheClient) {
  auto body = tokens(with(authorizeParams(), "scope", "prompts:read admin tools:read"));
  EXPECT_EQ(json::getString(body, "scope"), std::string("tools:read prompts:read"));
}

TEST_F(AuthorizationServerTest, SignInLinksGoThroughAPostAndNeverRevealAccounts) {
  Browser b(*world_.authorization);
  const auto login = b.get("/oauth/authorize", authorizeParams());
  const std::string flow = *hiddenField(login.body, "flow");
  const auto known = b.post("/oauth/login", {{"csrf", *hiddenField(login.body, "csrf")},
                                             {"flow", flow},
                                             {"action", "magic"},
                                             {"email", "alice@example.com"}});
  const auto unknown = b.post("/oauth/login", {{"csrf", *hiddenField(login.body, "csrf")},
                                               {"flow", flow},
                                               {"action", "magic"},
                                               {"email", "nobody@example.com"}});
  EXPECT_EQ(known.status, 200);
  EXPECT_EQ(unknown.status, 200);
  ASSERT_EQ(world_.identity.sentLinks.size(), 1u);
  auto strip = [](std::string html) {
    for (const char* field : {"csrf", "flow"}) {
      const auto v = hiddenField(html, field);
      if (v) html.replace(html.find(*v), v->size(), "");
    }
    return html;
  };
  EXPECT_EQ(strip(known.body), strip(unknown.body));
  // The link opens a confirmation page; redeeming takes a POST.
  const std::string link = world_.identity.sentLinks[0];
  EXPECT_TRUE(common::startsWith(link, std::string(World::kBase) + "/oauth/login/link?flow="))
      << link;
  world_.identity.links["magic-token"] = "alice";
  const auto page = b.get("/oauth/login/link", {{"flow", flow}, {"token", "magic-token"}});
  ASSERT_EQ(page.status, 200);
  expectSecurityHeaders(page);
  EXPECT_EQ(world_.identity.links.size(), 1u) << "a GET spent the link";
  const auto posted =
      b.post("/oauth/login/link",
             {{"csrf", *hiddenField(page.body, "csrf")}, {"flow", flow}, {"token", "magic-token"}});
  EXPECT_EQ(posted.status, 303);
  EXPECT_EQ(b.follow(posted).status, 200);  // the consent page
  // Spent: the same link again is refused.
  const auto page2 = b.get("/oauth/login/link", {{"flow", flow}, {"token", "magic-token"}});
  const auto replay = b.post(
      "/oauth/login/link",
      {{"csrf", *hiddenField(page2.body, "csrf")}, {"flow", flow}, {"token", "magic-token"}});
  EXPECT_EQ(replay.status, 401);
  expectNoRedirect(replay);
}

// ---- the token endpoint ---------------------------------------------------------------------

TEST_F(AuthorizationServerTest, TokenRequestsMustBeForms) {
  for (const std::string& type :
       std::vector<std::string>{"application/json", "text/plain", "", "multipart/form-data"}) {
    Pairs headers;
    if (!type.empty()) headers.emplace_back("Content-Type", type);
    const auto r =
        must(makeRequest("POST", "/oauth/token", {}, "grant_type=client_credentials", headers));
    expectOAuthError(r, 400, "invalid_request");
  }
  expectOAuthError(must(makeRequest("GET", "/oauth/token")), 405, "invalid_request");
}

TEST_F(AuthorizationServerTest, MalformedAndDuplicatedParametersAreInvalidRequests) {
  for (const std::string& body : std::vector<std::string>{
           "grant_type=authorization_code&code=%zz", "grant_type=%", "grant_type=a%2",
           "grant_type=authorization_code&code=a&code=b",
           "grant_type=refresh_token&grant_type=refresh_token",
           "grant_type=authorization_code&code_verifier=a&code_verifier=b",
           "grant_type=authorization_code&redirect_uri=a&redirect_uri=b", "grant_type=x%00y", ""}) {
    const auto r = must(makeRequest("POST", "/oauth/token", {}, body,
                                    {{"Content-Type", "application/x-www-form-urlencoded"}}));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(json::getString(object(r.body), "error"), std::string("invalid_request"))
        << body << " " << r.body;
  }
}

TEST_F(AuthorizationServerTest, UnsupportedGrantTypes) {
  for (const std::string& grant : std::vector<std::string>{
           "password", "implicit", "urn:ietf:params:oauth:grant-type:device_code",
           "Authorization_Code"}) {
    expectOAuthError(must(tokenRequest({{"grant_type", grant}, {"client_id", clientId_}})), 400,
                     "unsupported_grant_type");
  }
}

TEST_F(AuthorizationServerTest, ClientAuthenticationFailures) {
  const std::string basicWrong = "Basic " + common::base64Encode("webapp:wrong secret");
  auto r = must(tokenRequest({{"grant_type", "authorization_code"},
                              {"code", "x"},
                              {"redirect_uri", kRedirect},
                              {"code_verifier", kVerifier}},
                             {{"Authorization", basicWrong}}));
  expectOAuthError(r, 401, "invalid_client");
  EXPECT_TRUE(common::startsWith(headerOf(r, "WWW-Authenticate").value_or(""), "Basic")) << r.body;

  for (const std::string& malformed :
       std::vector<std::string>{"Basic !!!", "Basic " + common::base64Encode("no-colon"), "Basic ",
                                "Basic " + common::base64Encode("webapp:%zz")}) {
    r = must(tokenRequest({{"grant_type", "client_credentials"}}, {{"Authorization", malformed}}));
    expectOAuthError(r, 401, "invalid_client");
    EXPECT_TRUE(headerOf(r, "WWW-Authenticate").has_value()) << malformed;
  }
  // client_secret_post with a wrong secret.
  r = must(tokenRequest(
      {{"grant_type", "client_credentials"}, {"client_id", "svc"}, {"client_secret", "nope"}}));
  expectOAuthError(r, 401, "invalid_client");
  // A confidential client without its secret.
  r = must(tokenRequest({{"grant_type", "client_credentials"}, {"client_id", "svc"}}));
  expectOAuthError(r, 401, "invalid_client");
  // Unknown client; no client at all.
  expectOAuthError(
      must(tokenRequest({{"grant_type", "authorization_code"}, {"client_id", "pc_nobody"}})), 401,
      "invalid_client");
  expectOAuthError(must(tokenRequest({{"grant_type", "authorization_code"}})), 401,
                   "invalid_client");
  // A public client presenting a secret.
  expectOAuthError(must(tokenRequest({{"grant_type", "authorization_code"},
                                      {"client_id", clientId_},
                                      {"client_secret", "made up"}})),
                   401, "invalid_client");
  // Two methods at once, or a client_id that contradicts the header.
  const std::string basicGood =
      "Basic " + common::base64Encode("svc:service secret of enough length");
  expectOAuthError(must(tokenRequest({{"grant_type", "client_credentials"}, {"client_secret", "x"}},
                                     {{"Authorization", basicGood}})),
                   400, "invalid_request");
  expectOAuthError(
      must(tokenRequest({{"grant_type", "client_credentials"}, {"client_id", "webapp"}},
                        {{"Authorization", basicGood}})),
      400, "invalid_request");
}

TEST_F(AuthorizationServerTest, ClientCredentialsForConfidentialClientsOnly) {
  const std::string basic = "Basic " + common::base64Encode("svc:service secret of enough length");
  auto r = must(tokenRequest({{"grant_type", "client_credentials"}}, {{"Authorization", basic}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = object(r.body);
  EXPECT_FALSE(body->has("refresh_token"));
  EXPECT_EQ(json::getString(body, "scope"), std::string("tools:read tools:call"));
  const auto caller = check(*json::getString(body, "access_token"));
  ASSERT_EQ(caller.result, BearerCheck::Result::Ok) << caller.reason;
  EXPECT_EQ(caller.caller.subject, "svc");
  // client_secret_post works too, with a narrower scope.
  r = must(tokenRequest({{"grant_type", "client_credentials"},
                         {"client_id", "svc"},
                         {"client_secret", "service secret of enough length"},
                         {"scope", "tools:read"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::getString(object(r.body), "scope"), std::string("tools:read"));
  // Not beyond the client's scope.
  expectOAuthError(
      must(tokenRequest({{"grant_type", "client_credentials"}, {"scope", "prompts:read"}},
                        {{"Authorization", basic}})),
      400, "invalid_scope");
  // Not for public clients, nor for confidential ones without the grant.
  expectOAuthError(
      must(tokenRequest({{"grant_type", "client_credentials"}, {"client_id", clientId_}})), 400,
      "unauthorized_client");
  const std::string web = "Basic " + common::base64Encode("webapp:web app secret of enough length");
  expectOAuthError(
      must(tokenRequest({{"grant_type", "client_credentials"}}, {{"Authorization", web}})), 400,
      "unauthorized_client");
  // Revoking the client ends its tokens.
  std::string problem;
  const std::string token = *json::getString(body, "access_token");
  ASSERT_TRUE(world_.clients.revoke("svc", problem)) << problem;
  world_.poll();
  EXPECT_EQ(check(token).result, BearerCheck::Result::Invalid);
}

TEST_F(AuthorizationServerTest, RefreshTokensRotateAndReuseEndsTheFamily) {
  const auto first = tokens();
  const std::string r0 = *json::getString(first, "refresh_token");
  auto refresh = [&](const std::string& token, const Pairs& extra = {}) {
    Pairs fields{
        {"grant_type", "refresh_token"}, {"refresh_token", token}, {"client_id", clientId_}};
    fields.insert(fields.end(), extra.begin(), extra.end());
    return must(tokenRequest(fields));
  };
  const auto second = refresh(r0);
  ASSERT_EQ(second.status, 200) << second.body;
  const std::string r1 = *json::getString(object(second.body), "refresh_token");
  EXPECT_NE(r1, r0);
  const std::string access = *json::getString(object(second.body), "access_token");
  EXPECT_EQ(check(access).result, BearerCheck::Result::Ok);
  // The spent token again: the grant is revoked, with every token of it.
  expectOAuthError(refresh(r0), 400, "invalid_grant");
  expectOAuthError(refresh(r1), 400, "invalid_grant");
  world_.poll();
  EXPECT_EQ(check(access).result, BearerCheck::Result::Invalid);
  EXPECT_EQ(check(*json::getString(first, "access_token")).result, BearerCheck::Result::Invalid);
}

TEST_F(AuthorizationServerTest, RefreshMayNarrowTheScopeButNotWidenIt) {
  const auto first = tokens(with(authorizeParams(), "scope", "tools:read tools:call"));
  const std::string r0 = *json::getString(first, "refresh_token");
  const auto wider = must(tokenRequest({{"grant_type", "refresh_token"},
                                        {"refresh_token", r0},
                                        {"client_id", clientId_},
                                        {"scope", "tools:read prompts:read"}}));
  expectOAuthError(wider, 400, "invalid_scope");
  const auto narrower = must(tokenRequest({{"grant_type", "refresh_token"},
                                           {"refresh_token", r0},
                                           {"client_id", clientId_},
                                           {"scope", "tools:read"}}));
  ASSERT_EQ(narrower.status, 200) << narrower.body
                                  << " (a refused request must leave the token usable)";
  const auto body = object(narrower.body);
  EXPECT_EQ(json::getString(body, "scope"), std::string("tools:read"));
  EXPECT_EQ(check(*json::getString(body, "access_token")).caller.scopes,
            std::vector<std::string>{"tools:read"});
}

TEST_F(AuthorizationServerTest, ADisabledUserGetsNoMoreTokens) {
  const auto first = tokens();
  world_.users.setDisabled("alice", true);
  expectOAuthError(must(tokenRequest({{"grant_type", "refresh_token"},
                                      {"refresh_token", *json::getString(first, "refresh_token")},
                                      {"client_id", clientId_}})),
                   400, "invalid_grant");
}

// ---- revocation and introspection -------------------------------------------------------------

TEST_F(AuthorizationServerTest, RevocationAnswers200EvenForUnknownTokens) {
  for (const std::string& token :
       std::vector<std::string>{"unknown", "a.b.c", std::string(5000, 'x')}) {
    const auto r = must(makeRequest("POST", "/oauth/revoke", {},
                                    form({{"token", token}, {"client_id", clientId_}}),
                                    {{"Content-Type", "application/x-www-form-urlencoded"}}));
    EXPECT_EQ(r.status, 200) << token.substr(0, 10);
  }
}

TEST_F(AuthorizationServerTest, RevokingARefreshTokenEndsTheGrant) {
  const auto t = tokens();
  const auto r = must(makeRequest("POST", "/oauth/revoke", {},
                                  form({{"token", *json::getString(t, "refresh_token")},
                                        {"token_type_hint", "refresh_token"},
                                        {"client_id", clientId_}}),
                                  {{"Content-Type", "application/x-www-form-urlencoded"}}));
  EXPECT_EQ(r.status, 200);
  world_.poll();
  EXPECT_EQ(check(*json::getString(t, "access_token")).result, BearerCheck::Result::Invalid);
  expectOAuthError(must(tokenRequest({{"grant_type", "refresh_token"},
                                      {"refresh_token", *json::getString(t, "refresh_token")},
                                      {"client_id", clientId_}})),
                   400, "invalid_grant");
}

TEST_F(AuthorizationServerTest, RevokingAnAccessTokenEndsItsGrant) {
  const auto t = tokens();
  const std::string access = *json::getString(t, "access_token");
  ASSERT_EQ(check(access).result, BearerCheck::Result::Ok);
  EXPECT_EQ(must(makeRequest("POST", "/oauth/revoke", {},
                             form({{"token", access}, {"client_id", clientId_}}),
                             {{"Content-Type", "application/x-www-form-urlencoded"}}))
                .status,
            200);
  world_.poll();
  EXPECT_EQ(check(access).result, BearerCheck::Result::Invalid);
}

TEST_F(AuthorizationServerTest, AClientCannotRevokeAnotherClientsTokens) {
  const auto t = tokens();
  const std::string other = registerClient(R"J({"redirect_uris":["https://app.example/cb"],
                                               "token_endpoint_auth_method":"none"})J");
  for (const char* kind : {"access_token", "refresh_token"}) {
    EXPECT_EQ(must(makeRequest("POST", "/oauth/revoke", {},
                               form({{"token", *json::getString(t, kind)}, {"client_id", other}}),
                               {{"Content-Type", "application/x-www-form-urlencoded"}}))
                  .status,
              200);
  }
  world_.poll();
  EXPECT_EQ(check(*json::getString(t, "access_token")).result, BearerCheck::Result::Ok);
}

TEST_F(AuthorizationServerTest, RevocationRequestsAreChecked) {
  auto post = [&](const std::string& body,
                  const std::string& type = "application/x-www-form-urlencoded") {
    return must(makeRequest("POST", "/oauth/revoke", {}, body, {{"Content-Type", type}}));
  };
  expectOAuthError(post(form({{"client_id", clientId_}})), 400, "invalid_request");
  expectOAuthError(post(form({{"client_id", clientId_}, {"token", "a"}, {"token", "b"}})), 400,
                   "invalid_request");
  expectOAuthError(post("token=%zz&client_id=" + clientId_), 400, "invalid_request");
  expectOAuthError(post(form({{"token", "a"}})), 401, "invalid_client");
  expectOAuthError(post(R"J({"token":"a","client_id":"x"})J", "application/json"), 400,
                   "invalid_request");
  expectOAuthError(post(form({{"token", "a"}, {"client_id", clientId_}}), "text/plain"), 400,
                   "invalid_request");
  // Introspection too.
  expectOAuthError(must(makeRequest("POST", "/oauth/introspect", {},
                                    form({{"token", "a"}, {"client_id", clientId_}}),
                                    {{"Content-Type", "application/json"}})),
                   400, "invalid_request");
  expectOAuthError(must(makeRequest("GET", "/oauth/revoke")), 405, "invalid_request");
}

TEST_F(AuthorizationServerTest, IntrospectionDescribesLiveTokensOnly) {
  const auto t = tokens();
  const std::string access = *json::getString(t, "access_token");
  auto introspect = [&](const std::string& token, const std::string& clientId) {
    const auto r = must(makeRequest("POST", "/oauth/introspect", {},
                                    form({{"token", token}, {"client_id", clientId}}),
                                    {{"Content-Type", "application/x-www-form-urlencoded"}}));
    EXPECT_EQ(r.status, 200) << r.body;
    return object(r.body);
  };
  const auto live = introspect(access, clientId_);
  EXPECT_EQ(json::getBool(live, "active"), true);
  EXPECT_EQ(json::getString(live, "client_id"), clientId_);
  EXPECT_EQ(json::getString(live, "sub"), alice_.id);
  EXPECT_EQ(json::getString(live, "username"), std::string("alice"));
  EXPECT_TRUE(json::getInt(live, "exp").has_value());
  EXPECT_EQ(json::getString(live, "token_type"), std::string("Bearer"));
  // Another client learns nothing; garbage is inactive.
  const std::string other = registerClient(R"J({"redirect_uris":["https://app.example/cb"],
                                               "token_endpoint_auth_method":"none"})J");
  EXPECT_EQ(json::stringify(introspect(access, other)), R"({"active":false})");
  EXPECT_EQ(json::stringify(introspect("garbage", clientId_)), R"({"active":false})");
  EXPECT_EQ(json::stringify(introspect(*json::getString(t, "refresh_token"), clientId_)),
            R"({"active":false})");
  // Revoked is inactive.
  world_.grants.revokeGrant(*json::getString(decodeJwt(access)->payload, "gid"));
  EXPECT_EQ(json::stringify(introspect(access, clientId_)), R"({"active":false})");
  // Client authentication is required.
  expectOAuthError(must(makeRequest("POST", "/oauth/introspect", {}, form({{"token", access}}),
                                    {{"Content-Type", "application/x-www-form-urlencoded"}})),
                   401, "invalid_client");
}

// ---- registration over HTTP --------------------------------------------------------------------

TEST_F(AuthorizationServerTest, RegistrationRequestsAreCheckedBeforeParsing) {
  auto post = [&](const std::string& body, const std::string& type = "application/json") {
    return must(makeRequest("POST", "/oauth/register", {}, body, {{"Content-Type", type}}));
  };
  const std::string big = R"J({"redirect_uris":["https://app.example/cb"],"client_name":")J" +
                          std::string(20 * 1024, 'n') + "\"}";
  expectOAuthError(post(big), 400, "invalid_client_metadata");
  expectOAuthError(post(R"J({"redirect_uris":["https://app.example/cb"]})J", "text/plain"), 400,
                   "invalid_client_metadata");
  for (const std::string& bad :
       std::vector<std::string>{"", "[]", "{", "null", "\"x\"", "{\"a\":1,\"a\":2}",
                                std::string("{\"a\":\"\0\"}", 9), "\xff\xfe"}) {
    expectOAuthError(post(bad), 400, "invalid_client_metadata");
  }
  expectOAuthError(must(makeRequest("GET", "/oauth/register")), 405, "invalid_request");
}

TEST(AuthorizationServerRegistration, CanBeClosed) {
  WorldOptions o;
  o.server.allowRegistration = false;
  World world(o);
  const auto r = world.authorization->handle(makeRequest(
      "POST", "/oauth/register", {}, R"J({"redirect_uris":["https://app.example/cb"]})J",
      {{"Content-Type", "application/json"}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  const auto meta =
      world.authorization->handle(makeRequest("GET", "/.well-known/oauth-authorization-server"));
  EXPECT_FALSE(object(meta->body)->has("registration_endpoint"));
}

TEST_F(AuthorizationServerTest, RegistrationManagementOverHttp) {
  const auto created = must(makeRequest("POST", "/oauth/register", {},
                                        R"J({"redirect_uris":["https://app.example/cb"]})J",
                                        {{"Content-Type", "application/json"}}));
  const auto body = object(created.body);
  const std::string id = *json::getString(body, "client_id");
  const std::string token = *json::getString(body, "registration_access_token");
  const std::string path = "/oauth/register/" + id;
  EXPECT_EQ(json::getString(body, "registration_client_uri"), std::string(World::kBase) + path);
  auto read = must(makeRequest("GET", path, {}, "", {{"Authorization", "Bearer " + token}}));
  EXPECT_EQ(read.status, 200);
  read = must(makeRequest("GET", path));
  EXPECT_EQ(read.status, 401);
  EXPECT_TRUE(common::startsWith(headerOf(read, "WWW-Authenticate").value_or(""), "Bearer"))
      << read.body;
  EXPECT_EQ(must(makeRequest("GET", path, {}, "", {{"Authorization", "Basic " + token}})).status,
            401);
  EXPECT_EQ(
      must(makeRequest("DELETE", path, {}, "", {{"Authorization", "Bearer " + token}})).status,
      204);
  EXPECT_EQ(must(makeRequest("GET", path, {}, "", {{"Authorization", "Bearer " + token}})).status,
            401);
  EXPECT_EQ(must(makeRequest("PATCH", path, {}, "", {{"Authorization", "Bearer " + token}})).status,
            405);
}

// ---- setup --------------------------------------------------------------------------------------

class SetupTest : public ::testing::Test {
 protected:
  World world_;
};

TEST_F(SetupTest, TheSetupLinkCreatesTheFirstAdministratorOnce) {
  const std::string token = world_.authorization->createSetupToken(1h);
  Browser b(*world_.authorization);
  const auto page = b.get("/setup", {{"token", token}});
  ASSERT_EQ(page.status, 200);
  const std::string csrf = *hiddenField(page.body, "csrf");
  const Pairs good{{"csrf", csrf},
                   {"token", token},
                   {"username", "Admin"},
                   {"email", "admin@example.com"},
                   {"password", "a long admin password"},
                   {"confirm", "a long admin password"}};
  // Mismatched passwords keep the link usable.
  EXPECT_EQ(b.post("/setup", with(good, "confirm", "different")).status, 400);
  EXPECT_EQ(world_.users.count(), 0u);
  // So does a forged form.
  EXPECT_EQ(b.post("/setup", with(good, "csrf", "forged")).status, 400);
  EXPECT_EQ(b.post("/setup", good, {{"Origin", "https://evil.example"}}).status, 400);
  const auto done = b.post("/setup", good);
  ASSERT_EQ(done.status, 200) << done.body;
  const auto admin = world_.users.byUsername("admin");
  ASSERT_TRUE(admin.has_value());
  EXPECT_EQ(admin->role, "admin");
  EXPECT_EQ(world_.identity.passwords["admin"], "a long admin password");
  // Used up.
  EXPECT_EQ(b.post("/setup", with(good, "username", "second")).status, 400);
  EXPECT_FALSE(world_.users.byUsername("second"));
  EXPECT_EQ(b.get("/setup", {{"token", token}}).status, 404);
}

TEST_F(SetupTest, UnknownOrExpiredLinksShowNothing) {
  Browser b(*world_.authorization);
  EXPECT_EQ(b.get("/setup").status, 404);
  EXPECT_EQ(b.get("/setup", {{"token", "guess"}}).status, 404);
  const std::string expired = world_.authorization->createSetupToken(1ms);
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until &&
         world_.db.query("SELECT expires_at FROM setup_tokens").front().integer(0) >=
             storage::nowMillis()) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(b.get("/setup", {{"token", expired}}).status, 404);
}

TEST_F(SetupTest, NoSetupOnceAUserExists) {
  const std::string token = world_.authorization->createSetupToken(1h);
  world_.addUser("someone", "a password of length");
  Browser b(*world_.authorization);
  EXPECT_EQ(b.get("/setup", {{"token", token}}).status, 404);
}

TEST_F(SetupTest, APasswordTheIdentityProviderRefusesLeavesNoUserBehind) {
  const std::string token = world_.authorization->createSetupToken(1h);
  Browser b(*world_.authorization);
  const auto page = b.get("/setup", {{"token", token}});
  const auto r = b.post("/setup", {{"csrf", *hiddenField(page.body, "csrf")},
                                   {"token", token},
                                   {"username", "admin"},
                                   {"password", "short"},
                                   {"confirm", "short"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(world_.users.count(), 0u);
  // The link still works.
  EXPECT_EQ(b.get("/setup", {{"token", token}}).status, 200);
}

// ---- hostile input
// --------------------------------------------------------------------------------

TEST_F(AuthorizationServerTest, HostileInputNeverThrowsAndAlwaysAnswers) {
  std::mt19937 rng(7);
  const std::vector<std::string> paths{
      "/oauth/authorize",  "/oauth/login",
      "/oauth/login/link", "/oauth/consent",
      "/oauth/token",      "/oauth/revoke",
      "/oauth/introspect", "/oauth/register",
      "/oauth/register/x", "/setup",
      "/oauth/jwks",       "/.well-known/oauth-protected-resource/mcp"};
  const std::vector<std::string> bodies{
      "",
      std::string(1 << 20, 'a'),
      "a=%",
      "%%%%",
      "=&=&=",
      std::string("token=\0x", 8),
      "token=\xff\xfe\xfd&client_id=\xc3\x28",
      "grant_type=authorization_code&code=" + std::string(100'000, 'c'),
      "{\"json\":true}",
      "csrf=&flow=&username=&password=",
  };
  for (const auto& path : paths) {
    for (const std::string method : {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}) {
      for (const auto& body : bodies) {
        for (const std::string type :
             {"application/x-www-form-urlencoded", "application/json", "text/plain"}) {
          HttpRequest r =
              makeRequest(method, path, {{"client_id", body.substr(0, 100)}, {"x", "\xff"}}, body,
                          {{"Content-Type", type},
                           {"Authorization", "Basic " + body.substr(0, 50)},
                           {"Cookie", "pc_session=" + body.substr(0, 30)}});
          std::optional<HttpResponse> response;
          ASSERT_NO_THROW(response = world_.authorization->handle(r)) << method << " " << path;
          ASSERT_TRUE(response.has_value()) << method << " " << path;
          EXPECT_GE(response->status, 200);
          EXPECT_LT(response->status, 500)
              << method << " " << path << " " << response->body.substr(0, 200);
          if (response->status >= 400 && response->contentType == "application/json") {
            EXPECT_TRUE(json::getString(object(response->body), "error").has_value()) << path;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace portcullis::oauth
