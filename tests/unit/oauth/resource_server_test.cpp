// The resource server (core/oauth/resource_server.hpp): bearer tokens on
// the MCP endpoint. Access tokens are accepted only when this server signed
// them with the key their kid names, for this issuer and audience, within
// their lifetime (30 s leeway) and not revoked; API tokens only while live.
// Verified tokens are cached, and revocations reach the cache at once.

#include "core/oauth/resource_server.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;

using testing::b64;
using testing::forgeJwt;
using testing::World;
using testing::WorldOptions;
using Result = BearerCheck::Result;

class ResourceServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  ResourceServerTest() : world_(options()) {
    user_ = world_.addUser("alice", "correct horse battery");
    grant_ = world_.grants.createGrant(user_.id, "client-1", "tools:read tools:call", kResource);
  }
  static WorldOptions options() {
    WorldOptions o;
    o.alg = GetParam();
    return o;
  }

  std::string sign(const json::ObjectPtr& claims, const std::string& typ = "at+jwt") {
    return signJwt(*world_.keys.current(), typ, claims);
  }
  json::ObjectPtr claims() { return world_.claims(user_.id, grant_.id); }
  BearerCheck check(const std::string& token, const std::string& base = World::kBase) {
    return world_.resource->check("Bearer " + token, base);
  }
  std::string header(const std::string& extra = "") const {
    const auto key = world_.keys.current();
    return R"({"alg":")" + key->alg() + R"(","typ":"at+jwt","kid":")" + key->kid() + "\"" + extra +
           "}";
  }

  static constexpr const char* kResource = "http://127.0.0.1:8080/mcp";
  World world_;
  User user_;
  Grant grant_;
};

INSTANTIATE_TEST_SUITE_P(Algorithms, ResourceServerTest, ::testing::Values("ES256", "RS256"));

TEST_P(ResourceServerTest, AcceptsATokenItSignedAndFillsTheCaller) {
  const auto result = check(sign(claims()));
  ASSERT_EQ(result.result, Result::Ok) << result.reason;
  EXPECT_EQ(result.caller.subject, user_.id);
  EXPECT_EQ(result.caller.username, "alice");
  EXPECT_EQ(result.caller.role, "member");
  EXPECT_EQ(result.caller.clientId, "client-1");
  EXPECT_EQ(result.caller.grantId, grant_.id);
  EXPECT_EQ(result.caller.scopes, (std::vector<std::string>{"tools:read", "tools:call"}));
  // Cached: the same answer again.
  EXPECT_EQ(check(sign(claims())).result, Result::Ok);
}

TEST_P(ResourceServerTest, TheAuthorizationHeaderMustBeABearerToken) {
  const std::string token = sign(claims());
  EXPECT_EQ(world_.resource->check(std::nullopt, World::kBase).result, Result::Missing);
  EXPECT_EQ(world_.resource->check(std::string(), World::kBase).result, Result::Missing);
  EXPECT_EQ(world_.resource->check("bearer " + token, World::kBase).result, Result::Ok);
  EXPECT_EQ(world_.resource->check("BEARER " + token, World::kBase).result, Result::Ok);
  for (const std::string& bad :
       std::vector<std::string>{"Basic " + token, "Bearer", "Bearer ", "Bearer " + token + " extra",
                                "Token " + token, token, "Bearer\t" + token}) {
    const auto r = world_.resource->check(bad, World::kBase);
    EXPECT_EQ(r.result, Result::Invalid) << bad.substr(0, 20);
    EXPECT_FALSE(r.reason.empty());
    EXPECT_EQ(r.reason.find(token), std::string::npos) << "the reason repeats the token";
  }
}

TEST_P(ResourceServerTest, RefusesMalformedCompactForms) {
  const std::string token = sign(claims());
  const size_t dot = token.rfind('.');
  for (const std::string& bad : std::vector<std::string>{
           token + ".", token + ".x", token.substr(0, dot), token + "=", "." + token,
           token.substr(0, dot) + "." + token.substr(dot + 1) + "==",
           std::string(9000, 'a') + "." + token}) {
    EXPECT_EQ(check(bad).result, Result::Invalid) << bad.substr(0, 40);
  }
}

TEST_P(ResourceServerTest, RefusesAlgNone) {
  const auto key = world_.keys.current();
  const std::string payload = json::stringify(claims());
  for (const std::string& alg : std::vector<std::string>{"none", "None", "NONE", ""}) {
    const std::string h = R"({"alg":")" + alg + R"(","typ":"at+jwt","kid":")" + key->kid() + "\"}";
    EXPECT_EQ(check(forgeJwt(h, payload, nullptr, b64("x"))).result, Result::Invalid) << alg;
    EXPECT_EQ(check(forgeJwt(h, payload, nullptr, std::string())).result, Result::Invalid) << alg;
  }
  // A header without alg.
  const std::string noAlg = R"({"typ":"at+jwt","kid":")" + key->kid() + "\"}";
  EXPECT_EQ(check(forgeJwt(noAlg, payload, key.get())).result, Result::Invalid);
}

TEST_P(ResourceServerTest, RefusesHs256KeyedWithThePublicKey) {
  const auto key = world_.keys.current();
  const std::string h = R"({"alg":"HS256","typ":"at+jwt","kid":")" + key->kid() + "\"}";
  const std::string input = b64(h) + "." + b64(json::stringify(claims()));
  // Every form of the public key an attacker could find.
  const std::string jwk = json::stringify(key->publicJwk());
  for (const std::string& secret : std::vector<std::string>{jwk, key->kid(), std::string()}) {
    const std::string token = input + "." + b64(common::hmacSha256(secret, input));
    EXPECT_EQ(check(token).result, Result::Invalid);
  }
}

TEST_P(ResourceServerTest, RefusesTheOtherAsymmetricAlgorithmForTheSameKid) {
  const auto key = world_.keys.current();
  const std::string other = key->alg() == "ES256" ? "RS256" : "ES256";
  const std::string h = R"({"alg":")" + other + R"(","typ":"at+jwt","kid":")" + key->kid() + "\"}";
  EXPECT_EQ(check(forgeJwt(h, json::stringify(claims()), key.get())).result, Result::Invalid);
}

TEST_P(ResourceServerTest, RefusesAKidTheRingDoesNotKnow) {
  auto stranger = SigningKey::generate(GetParam());
  // Signed by a key this server never had, under its own kid...
  EXPECT_EQ(check(signJwt(*stranger, "at+jwt", claims())).result, Result::Invalid);
  // ...and under the kid of this server's key.
  const std::string h = header();
  EXPECT_EQ(check(forgeJwt(h, json::stringify(claims()), stranger.get())).result, Result::Invalid);
  // No kid at all.
  const std::string noKid = R"({"alg":")" + GetParam() + R"(","typ":"at+jwt"})";
  EXPECT_EQ(check(forgeJwt(noKid, json::stringify(claims()), world_.keys.current().get())).result,
            Result::Invalid);
}

TEST_P(ResourceServerTest, RefusesAnythingButTypAtJwt) {
  for (const std::string& typ :
       std::vector<std::string>{"JWT", "jwt", "AT+JWT", "application/at+jwt", "", "at+jwt "}) {
    const auto r = check(sign(claims(), typ));
    EXPECT_EQ(r.result, Result::Invalid) << typ;
  }
  const auto key = world_.keys.current();
  const std::string noTyp = R"({"alg":")" + key->alg() + R"(","kid":")" + key->kid() + "\"}";
  EXPECT_EQ(check(forgeJwt(noTyp, json::stringify(claims()), key.get())).result, Result::Invalid);
}

TEST_P(ResourceServerTest, RefusesATamperedPayload) {
  const std::string token = sign(claims());
  const size_t first = token.find('.');
  const size_t second = token.rfind('.');
  json::ObjectPtr other = claims();
  other->set("scope", std::string("tools:read tools:call resources:read prompts:read"));
  const std::string tampered =
      token.substr(0, first + 1) + b64(json::stringify(other)) + token.substr(second);
  EXPECT_EQ(check(tampered).result, Result::Invalid);
}

TEST_P(ResourceServerTest, RefusesAnotherIssuerOrAudience) {
  auto c = claims();
  c->set("iss", std::string("https://evil.example"));
  c->set("aud", std::string("https://evil.example/mcp"));
  EXPECT_EQ(check(sign(c)).result, Result::Invalid);

  c = claims();
  c->set("aud", std::string("http://127.0.0.1:8080/other"));
  EXPECT_EQ(check(sign(c)).result, Result::Invalid);

  c = claims();
  c->set("aud", std::string("http://127.0.0.1:8080"));
  EXPECT_EQ(check(sign(c)).result, Result::Invalid);

  // The right token presented to another server name.
  EXPECT_EQ(check(sign(claims()), "http://10.0.0.5:8080").result, Result::Invalid);
  EXPECT_EQ(check(sign(claims()), "http://127.0.0.1:9090").result, Result::Invalid);
}

TEST_P(ResourceServerTest, AcceptsAnAudienceList) {
  auto c = claims();
  json::ArrayPtr aud = json::makeArray();
  aud->add(std::string("https://other.example/mcp"));
  aud->add(std::string(kResource));
  c->set("aud", aud);
  EXPECT_EQ(check(sign(c)).result, Result::Ok);
  json::ArrayPtr wrong = json::makeArray();
  wrong->add(std::string("https://other.example/mcp"));
  wrong->add(5);
  c->set("aud", wrong);
  EXPECT_EQ(check(sign(c)).result, Result::Invalid);
}

TEST_P(ResourceServerTest, LoopbackNamesOfTheSamePortAreOneServer) {
  auto c = world_.claims(user_.id, grant_.id, "http://localhost:8080");
  EXPECT_EQ(check(sign(c), "http://127.0.0.1:8080").result, Result::Ok);
  EXPECT_EQ(check(sign(c), "http://localhost:8080").result, Result::Ok);
  EXPECT_EQ(check(sign(c), "http://localhost:8081").result, Result::Invalid);
  EXPECT_EQ(check(sign(c), "https://localhost:8080").result, Result::Invalid);
}

TEST_P(ResourceServerTest, RefusesMissingClaims) {
  for (const char* claim : {"iss", "sub", "client_id", "exp", "gid", "aud"}) {
    auto c = claims();
    c->remove(claim);
    EXPECT_EQ(check(sign(c)).result, Result::Invalid) << claim;
  }
  // Claims of the wrong type.
  auto c = claims();
  c->set("exp", std::string("4000000000"));
  EXPECT_EQ(check(sign(c)).result, Result::Invalid);
}

TEST_P(ResourceServerTest, ExpiryHasThirtySecondsOfLeeway) {
  const int64_t now = storage::nowMillis() / 1000;
  auto c = claims();
  c->set("exp", now - 20);
  EXPECT_EQ(check(sign(c)).result, Result::Ok) << "20 s past exp is within the leeway";
  c = claims();
  c->set("exp", now - 40);
  const auto r = check(sign(c));
  EXPECT_EQ(r.result, Result::Invalid);
  EXPECT_NE(r.reason.find("expired"), std::string::npos) << r.reason;
}

TEST_P(ResourceServerTest, NotBeforeHasThirtySecondsOfLeeway) {
  const int64_t now = storage::nowMillis() / 1000;
  auto c = claims();
  c->set("nbf", now + 20);
  EXPECT_EQ(check(sign(c)).result, Result::Ok) << "20 s before nbf is within the leeway";
  c = claims();
  c->set("nbf", now + 40);
  EXPECT_EQ(check(sign(c)).result, Result::Invalid);
}

TEST_P(ResourceServerTest, ARevokedGrantEndsItsTokensEvenWhenCached) {
  const std::string token = sign(claims());
  ASSERT_EQ(check(token).result, Result::Ok);  // now cached
  world_.grants.revokeGrant(grant_.id);
  world_.poll();
  const auto r = check(token);
  EXPECT_EQ(r.result, Result::Invalid);
  EXPECT_NE(r.reason.find("revoked"), std::string::npos) << r.reason;
  // Other grants are untouched.
  const Grant other = world_.grants.createGrant(user_.id, "client-1", "tools:read", kResource);
  EXPECT_EQ(check(sign(world_.claims(user_.id, other.id))).result, Result::Ok);
}

TEST_P(ResourceServerTest, RevocationsSurviveARestart) {
  const std::string token = sign(claims());
  world_.grants.revokeGrant(grant_.id);
  ResourceServer restarted(world_.keys, world_.users, world_.apiTokens, world_.db, world_.issuers,
                           1h);
  restarted.load();
  EXPECT_EQ(restarted.check("Bearer " + token, World::kBase).result, Result::Invalid);
}

TEST_P(ResourceServerTest, RevokingTheClientEndsItsTokensButNotLaterOnes) {
  const std::string token = sign(claims());
  ASSERT_EQ(check(token).result, Result::Ok);
  // client-1 is not registered: record the revocation the way revoke() does.
  world_.db.write([&](storage::Connection& c) {
    c.execute("UPDATE grants SET revoked_at = ? WHERE client_id = 'client-1'",
              {storage::Value(storage::nowMillis())});
    recordChange(c, change_kind::kClient, "client-1");
  });
  world_.poll();
  EXPECT_EQ(check(token).result, Result::Invalid);
  const Grant later = world_.grants.createGrant(user_.id, "client-1", "tools:read", kResource);
  EXPECT_EQ(check(sign(world_.claims(user_.id, later.id))).result, Result::Ok);
}

TEST_P(ResourceServerTest, ADisabledOrDeletedUserIsRefusedEvenWithACachedToken) {
  const std::string token = sign(claims());
  ASSERT_EQ(check(token).result, Result::Ok);
  world_.users.setDisabled("alice", true);
  world_.poll();
  EXPECT_EQ(check(token).result, Result::Invalid);
  world_.users.setDisabled("alice", false);
  world_.poll();
  EXPECT_EQ(check(token).result, Result::Ok);
  world_.users.remove(user_.id);
  world_.poll();
  EXPECT_EQ(check(token).result, Result::Invalid);
}

TEST_P(ResourceServerTest, ARoleChangeReachesCachedTokens) {
  const std::string token = sign(claims());
  ASSERT_EQ(check(token).caller.role, "member");
  world_.users.setRole("alice", "admin");
  world_.poll();
  EXPECT_EQ(check(token).caller.role, "admin");
}

TEST_P(ResourceServerTest, TokensOfARotatedKeyKeepWorking) {
  const std::string before = sign(claims());
  world_.keys.rotate();
  world_.poll();
  EXPECT_EQ(check(before).result, Result::Ok);
  EXPECT_EQ(check(sign(claims())).result, Result::Ok);
}

TEST_P(ResourceServerTest, ClientCredentialsTokensNeedNoUser) {
  const Grant cc = world_.grants.createGrant("", "svc", "tools:read", kResource);
  auto c = world_.claims("svc", cc.id);
  c->set("client_id", std::string("svc"));
  const auto r = check(sign(c));
  ASSERT_EQ(r.result, Result::Ok) << r.reason;
  EXPECT_EQ(r.caller.subject, "svc");
  EXPECT_TRUE(r.caller.username.empty());
}

// ---- API tokens -----------------------------------------------------------------------

TEST_P(ResourceServerTest, ApiTokensWorkUntilRevoked) {
  ApiToken record;
  const std::string token = world_.apiTokens.create(user_.id, "tools:read", 24h, "laptop", record);
  EXPECT_TRUE(common::startsWith(token, kApiTokenPrefix));
  auto r = check(token);
  ASSERT_EQ(r.result, Result::Ok) << r.reason;
  EXPECT_EQ(r.caller.subject, user_.id);
  EXPECT_EQ(r.caller.username, "alice");
  EXPECT_EQ(r.caller.scopes, std::vector<std::string>{"tools:read"});
  EXPECT_EQ(r.caller.apiTokenId, record.id);
  // Only the hash is stored.
  const auto rows = world_.db.query("SELECT token_hash FROM api_tokens");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), common::sha256Hex(token));
  EXPECT_TRUE(world_.apiTokens.revoke(record.id));
  EXPECT_FALSE(world_.apiTokens.revoke(record.id));
  world_.poll();
  EXPECT_EQ(check(token).result, Result::Invalid);
}

TEST_P(ResourceServerTest, ApiTokensExpire) {
  ApiToken record;
  const std::string token = world_.apiTokens.create(user_.id, "tools:read", 1ms, "", record);
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (storage::nowMillis() <= record.expiresAt && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(check(token).result, Result::Invalid);
}

TEST_P(ResourceServerTest, UnknownAndMangledApiTokensAreRefused) {
  ApiToken record;
  const std::string token = world_.apiTokens.create(user_.id, "tools:read", 24h, "", record);
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       std::vector<std::string>{flipped, token + "x", std::string(kApiTokenPrefix) + "short",
                                std::string(kApiTokenPrefix) + std::string(300, 'a')}) {
    EXPECT_EQ(check(bad).result, Result::Invalid) << bad;
  }
}

TEST_P(ResourceServerTest, ApiTokensOfADisabledUserAreRefused) {
  ApiToken record;
  const std::string token = world_.apiTokens.create(user_.id, "tools:read", 24h, "", record);
  ASSERT_EQ(check(token).result, Result::Ok);
  world_.users.setDisabled("alice", true);
  world_.poll();
  EXPECT_EQ(check(token).result, Result::Invalid);
}

// ---- the issuer policy --------------------------------------------------------------------

TEST(IssuerPolicy, WithAPublicUrlOnlyThatIssuerCounts) {
  IssuerPolicy p("https://mcp.example.com", "/mcp");
  EXPECT_EQ(p.issuerFor("http://127.0.0.1:8080"), "https://mcp.example.com");
  EXPECT_EQ(p.resourceFor("http://anything"), "https://mcp.example.com/mcp");
  EXPECT_TRUE(p.acceptsIssuer("https://mcp.example.com", "http://127.0.0.1:8080"));
  EXPECT_FALSE(p.acceptsIssuer("http://127.0.0.1:8080", "http://127.0.0.1:8080"));
}

TEST(IssuerPolicy, WithoutAPublicUrlTheRequestDecides) {
  IssuerPolicy p("", "/mcp");
  EXPECT_EQ(p.resourceFor("http://127.0.0.1:8080"), "http://127.0.0.1:8080/mcp");
  EXPECT_TRUE(p.acceptsIssuer("http://127.0.0.1:8080", "http://127.0.0.1:8080"));
  EXPECT_TRUE(p.acceptsIssuer("http://localhost:8080", "http://127.0.0.1:8080"));
  EXPECT_TRUE(p.acceptsIssuer("http://[::1]:8080", "http://LOCALHOST:8080"));
  EXPECT_FALSE(p.acceptsIssuer("http://localhost:8081", "http://127.0.0.1:8080"));
  EXPECT_FALSE(p.acceptsIssuer("http://localhost.evil.com:8080", "http://127.0.0.1:8080"));
  EXPECT_FALSE(p.acceptsIssuer("http://127.0.0.1:8080@evil.com", "http://127.0.0.1:8080"));
  EXPECT_FALSE(p.acceptsIssuer("http://mcp.example.com", "http://127.0.0.1:8080"));
}

TEST(IssuerPolicy, AudienceIsTheMcpUrlWithOrWithoutATrailingSlash) {
  IssuerPolicy p("", "/mcp");
  EXPECT_TRUE(p.acceptsAudience(json::Value(std::string("http://h/mcp")), "http://h"));
  EXPECT_TRUE(p.acceptsAudience(json::Value(std::string("http://h/mcp/")), "http://h"));
  EXPECT_FALSE(p.acceptsAudience(json::Value(std::string("http://h/MCP")), "http://h"));
  EXPECT_FALSE(p.acceptsAudience(json::Value(std::string("http://h/mcp?x")), "http://h"));
  EXPECT_FALSE(p.acceptsAudience(json::Value(5), "http://h"));
  EXPECT_FALSE(p.acceptsAudience(json::Value(), "http://h"));
}

}  // namespace
}  // namespace portcullis::oauth
