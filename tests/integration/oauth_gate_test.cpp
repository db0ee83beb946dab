// Sign-in enforcement over real HTTP: the 401 challenge on /mcp, /sse and
// /messages, 403 insufficient_scope naming every scope a request needs,
// sessions bound to the user who opened them, API tokens, and revocations
// written by another process reaching the running server through the
// change log.

#include <gtest/gtest.h>

#include "tests/integration/oauth_support.hpp"

namespace portcullis::testing::oauth_it {
namespace {

using http::kLatestLegacy;
using http::rpcRequest;

class OAuthGate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = TestGateway::withAuth().release(); }
  static void TearDownTestSuite() {
    delete gateway_;
    gateway_ = nullptr;
  }
  void SetUp() override {
    store_ = std::make_unique<Store>(*gateway_);
    const std::string suffix = std::to_string(counter_++);
    alice_ = store_->user("alice" + suffix);
    bob_ = store_->user("bob" + suffix);
    aliceToken_ = store_->apiToken(alice_, "tools:read tools:call resources:read prompts:read");
    bobToken_ = store_->apiToken(bob_, "tools:read tools:call resources:read prompts:read");
  }
  uint16_t port() const { return gateway_->port(); }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // A 2025-era session opened with `token`.
  std::string openSession(const std::string& token) {
    const HttpResult init = request(port(), "POST", "/mcp", mcpPostHeaders(bearer(token)),
                                    http::initializeBody(kLatestLegacy));
    EXPECT_EQ(init.status, 200) << init.body;
    const std::string id = init.header("Mcp-Session-Id").value_or("");
    const HttpResult done = request(port(), "POST", "/mcp", sessionHeaders(id, token),
                                    http::rpcNotification("notifications/initialized"));
    EXPECT_EQ(done.status, 202) << done.body;
    return id;
  }
  static Headers sessionHeaders(const std::string& id, const std::string& token,
                                Headers extra = {}) {
    Headers h = mcpPostHeaders({{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", kLatestLegacy}});
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    for (auto& e : extra) h.push_back(e);
    return h;
  }

  void expectChallenge(const HttpResult& r, const std::string& error, const std::string& what) {
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    const std::string header = r.header("WWW-Authenticate").value_or("");
    const auto params = challengeParams(header);
    EXPECT_EQ(params.at("scheme"), "Bearer") << what << ": " << header;
    EXPECT_EQ(params.count("resource_metadata") ? params.at("resource_metadata") : "",
              base() + "/.well-known/oauth-protected-resource/mcp")
        << what << ": " << header;
    EXPECT_EQ(params.count("scope") ? params.at("scope") : "",
              "tools:read tools:call resources:read prompts:read")
        << what;
    if (error.empty()) {
      // RFC 6750 3.1: no error code when no credentials were sent.
      EXPECT_EQ(params.count("error"), 0u) << what << ": " << header;
    } else {
      EXPECT_EQ(params.count("error") ? params.at("error") : "", error) << what << ": " << header;
    }
    EXPECT_TRUE(http::isJsonResponse(r)) << what;
  }

  static TestGateway* gateway_;
  static int counter_;
  std::unique_ptr<Store> store_;
  oauth::User alice_;
  oauth::User bob_;
  std::string aliceToken_;
  std::string bobToken_;
};

TestGateway* OAuthGate::gateway_ = nullptr;
int OAuthGate::counter_ = 0;

// ---- 401 -------------------------------------------------------------------------------------

TEST_F(OAuthGate, EveryMcpEntryPointChallengesWithoutAToken) {
  expectChallenge(request(port(), "POST", "/mcp", http::modernHeaders("tools/list"),
                          http::modernRequest("1", "tools/list")),
                  "", "modern POST");
  expectChallenge(
      request(port(), "POST", "/mcp", mcpPostHeaders(), http::initializeBody(kLatestLegacy)), "",
      "initialize");
  expectChallenge(request(port(), "GET", "/mcp",
                          {{"Accept", "text/event-stream"},
                           {"Mcp-Session-Id", "0123456789abcdef"},
                           {"MCP-Protocol-Version", kLatestLegacy}}),
                  "", "GET stream");
  expectChallenge(request(port(), "DELETE", "/mcp", {{"Mcp-Session-Id", "0123456789abcdef"}}), "",
                  "DELETE");
  expectChallenge(request(port(), "GET", "/sse", {{"Accept", "text/event-stream"}}), "",
                  "GET /sse");
  expectChallenge(request(port(), "POST", "/messages?sessionId=0123456789abcdef",
                          {{"Content-Type", "application/json"}}, rpcRequest("1", "ping")),
                  "", "POST /messages");
}

TEST_F(OAuthGate, ABrowserClientCanReadTheChallenge) {
  // A same-origin (or allowed) browser client must be able to read the
  // WWW-Authenticate header of the 401 to discover where to sign in.
  Headers h = http::modernHeaders("tools/list");
  h.emplace_back("Origin", base());
  const HttpResult r = request(port(), "POST", "/mcp", h, http::modernRequest("1", "tools/list"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), base());
  EXPECT_NE(r.header("Access-Control-Expose-Headers").value_or("").find("WWW-Authenticate"),
            std::string::npos);
  // A preflight lets it send the Authorization header.
  const HttpResult preflight =
      request(port(), "OPTIONS", "/mcp",
              {{"Origin", base()},
               {"Access-Control-Request-Method", "POST"},
               {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_NE(common::toLower(preflight.header("Access-Control-Allow-Headers").value_or(""))
                .find("authorization"),
            std::string::npos);
}

TEST_F(OAuthGate, AnInvalidTokenIsChallengedWithInvalidToken) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"garbage", "Bearer not-a-token"},
      {"malformed jwt", "Bearer a.b.c"},
      {"revoked-looking api token", "Bearer pct_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
      {"basic", "Basic " + common::base64Encode("alice:password")},
  };
  for (const auto& [what, authorization] : cases) {
    Headers h = http::modernHeaders("tools/list");
    h.emplace_back("Authorization", authorization);
    expectChallenge(request(port(), "POST", "/mcp", h, http::modernRequest("1", "tools/list")),
                    "invalid_token", what);
    expectChallenge(request(port(), "GET", "/sse",
                            {{"Accept", "text/event-stream"}, {"Authorization", authorization}}),
                    "invalid_token", what + " on /sse");
  }
}

TEST_F(OAuthGate, TheErrorDescriptionNeverEchoesTheToken) {
  const std::string secretish = "pct_" + std::string(40, 'Z');
  const HttpResult r = mcp(port(), secretish, "tools/list");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate").value_or("").find(secretish), std::string::npos);
  EXPECT_EQ(r.body.find(secretish), std::string::npos);
}

// ---- API tokens and 403 ----------------------------------------------------------------------

TEST_F(OAuthGate, AnApiTokenIsAcceptedAndIdentifiesItsUser) {
  const HttpResult list = mcp(port(), aliceToken_, "tools/list");
  ASSERT_EQ(list.status, 200) << list.body;
  const HttpResult who =
      mcp(port(), aliceToken_, "tools/call", R"({"name":"whoami","arguments":{}})", "whoami");
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_NE(who.body.find(alice_.username), std::string::npos) << who.body;
  EXPECT_EQ(who.body.find(bob_.username), std::string::npos) << who.body;
}

TEST_F(OAuthGate, MissingScopesAre403NamingEveryScopeNeeded) {
  const std::string readOnly = store_->apiToken(alice_, "tools:read");
  ASSERT_EQ(mcp(port(), readOnly, "tools/list").status, 200);
  const HttpResult call =
      mcp(port(), readOnly, "tools/call", R"({"name":"whoami","arguments":{}})", "whoami");
  EXPECT_EQ(call.status, 403) << call.body;
  auto params = challengeParams(call.header("WWW-Authenticate").value_or(""));
  EXPECT_EQ(params["scheme"], "Bearer");
  EXPECT_EQ(params["error"], "insufficient_scope");
  // What it had plus what it lacks, so asking for exactly that keeps both.
  EXPECT_EQ(params["scope"], "tools:read tools:call");
  EXPECT_EQ(params["resource_metadata"], base() + "/.well-known/oauth-protected-resource/mcp");

  const HttpResult read =
      mcp(port(), readOnly, "resources/read", R"({"uri":"demo://readme"})", "demo://readme");
  EXPECT_EQ(read.status, 403);
  EXPECT_EQ(challengeParams(read.header("WWW-Authenticate").value_or(""))["scope"],
            "tools:read resources:read");
  const HttpResult prompt =
      mcp(port(), readOnly, "prompts/get", R"({"name":"demo_greeting"})", "demo_greeting");
  EXPECT_EQ(prompt.status, 403);
  EXPECT_EQ(challengeParams(prompt.header("WWW-Authenticate").value_or(""))["scope"],
            "tools:read prompts:read");
}

TEST_F(OAuthGate, ABatchNeedingSeveralScopesNamesThemAll) {
  const std::string readOnly = store_->apiToken(alice_, "tools:read");
  const HttpResult init = request(port(), "POST", "/mcp", mcpPostHeaders(bearer(readOnly)),
                                  http::initializeBody("2025-03-26"));
  ASSERT_EQ(init.status, 200) << init.body;
  const std::string id = init.header("Mcp-Session-Id").value_or("");
  Headers h = mcpPostHeaders({{"Mcp-Session-Id", id}});
  h.emplace_back("Authorization", "Bearer " + readOnly);
  ASSERT_EQ(
      request(port(), "POST", "/mcp", h, http::rpcNotification("notifications/initialized")).status,
      202);
  const std::string batch = "[" +
                            rpcRequest("1", "tools/call", R"({"name":"whoami","arguments":{}})") +
                            "," + rpcRequest("2", "resources/read", R"({"uri":"demo://readme"})") +
                            "," + rpcRequest("3", "tools/list") + "]";
  const HttpResult r = request(port(), "POST", "/mcp", h, batch);
  EXPECT_EQ(r.status, 403) << r.body;
  const auto params = challengeParams(r.header("WWW-Authenticate").value_or(""));
  EXPECT_EQ(params.at("error"), "insufficient_scope");
  EXPECT_EQ(params.at("scope"), "tools:read tools:call resources:read");
  EXPECT_NE(params.at("error_description").find("tools:call"), std::string::npos);
  EXPECT_NE(params.at("error_description").find("resources:read"), std::string::npos);
}

TEST_F(OAuthGate, LegacyMessagesAreScopeCheckedToo) {
  const std::string readOnly = store_->apiToken(alice_, "tools:read");
  SseStream sse(port(), "GET", "/sse", bearer(readOnly, {{"Accept", "text/event-stream"}}));
  ASSERT_EQ(sse.status(), 200);
  const auto endpoint = sse.next(10s);
  ASSERT_TRUE(endpoint.has_value());
  const HttpResult r = request(
      port(), "POST", endpoint->data, bearer(readOnly, {{"Content-Type", "application/json"}}),
      rpcRequest("1", "tools/call", R"({"name":"whoami","arguments":{}})"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(challengeParams(r.header("WWW-Authenticate").value_or(""))["error"],
            "insufficient_scope");
}

// ---- sessions belong to their user -------------------------------------------------------------

TEST_F(OAuthGate, ASessionIsNotFoundForAnotherUsersToken) {
  const std::string id = openSession(aliceToken_);
  ASSERT_FALSE(id.empty());
  // Alice can use it.
  EXPECT_EQ(request(port(), "POST", "/mcp", sessionHeaders(id, aliceToken_), toolsList()).status,
            200);
  // Bob cannot: not 403, which would confirm it exists.
  const HttpResult post =
      request(port(), "POST", "/mcp", sessionHeaders(id, bobToken_), toolsList());
  EXPECT_EQ(post.status, 404) << post.body;
  const HttpResult get = request(port(), "GET", "/mcp",
                                 bearer(bobToken_, {{"Accept", "text/event-stream"},
                                                    {"Mcp-Session-Id", id},
                                                    {"MCP-Protocol-Version", kLatestLegacy}}));
  EXPECT_EQ(get.status, 404) << get.body;
  const HttpResult del =
      request(port(), "DELETE", "/mcp", bearer(bobToken_, {{"Mcp-Session-Id", id}}));
  EXPECT_EQ(del.status, 404) << del.body;
  // Still alive for Alice after all that.
  EXPECT_EQ(request(port(), "POST", "/mcp", sessionHeaders(id, aliceToken_), toolsList()).status,
            200);
  // Without a token at all: the challenge, not the session.
  EXPECT_EQ(request(port(), "POST", "/mcp", sessionHeaders(id, ""), toolsList()).status, 401);
}

TEST_F(OAuthGate, ALegacySseSessionIsNotFoundForAnotherUsersToken) {
  SseStream sse(port(), "GET", "/sse", bearer(aliceToken_, {{"Accept", "text/event-stream"}}));
  ASSERT_EQ(sse.status(), 200);
  const auto endpoint = sse.next(10s);
  ASSERT_TRUE(endpoint.has_value());
  const HttpResult bob =
      request(port(), "POST", endpoint->data,
              bearer(bobToken_, {{"Content-Type", "application/json"}}), rpcRequest("1", "ping"));
  EXPECT_EQ(bob.status, 404) << bob.body;
  const HttpResult alice = request(port(), "POST", endpoint->data,
                                   bearer(aliceToken_, {{"Content-Type", "application/json"}}),
                                   http::initializeBody("2024-11-05", "1"));
  EXPECT_EQ(alice.status, 202) << alice.body;
}

TEST_F(OAuthGate, TwoTokensOfOneUserShareNothingAcrossClients) {
  // A session is bound to the user and the client: another API token of
  // the same user is another client.
  const std::string id = openSession(aliceToken_);
  const std::string second = store_->apiToken(alice_, "tools:read tools:call");
  EXPECT_EQ(request(port(), "POST", "/mcp", sessionHeaders(id, second), toolsList()).status, 404);
}

// ---- revocation through the change log
// -----------------------------------------------------------

TEST_F(OAuthGate, ARevokedApiTokenStopsWorkingWithoutARestart) {
  std::string id;
  const std::string token = store_->apiToken(alice_, "tools:read", &id);
  ASSERT_EQ(mcp(port(), token, "tools/list").status, 200);  // cached by the server now
  ASSERT_TRUE(store_->apiTokens.revoke(id));
  EXPECT_TRUE(eventually([&] { return mcp(port(), token, "tools/list").status == 401; }))
      << "the revocation did not reach the running server";
  // Other tokens of the user are untouched.
  EXPECT_EQ(mcp(port(), aliceToken_, "tools/list").status, 200);
}

TEST_F(OAuthGate, ADisabledUserIsLockedOutWithoutARestart) {
  ASSERT_EQ(mcp(port(), aliceToken_, "tools/list").status, 200);
  ASSERT_TRUE(store_->users.setDisabled(alice_.username, true));
  EXPECT_TRUE(eventually([&] { return mcp(port(), aliceToken_, "tools/list").status == 401; }));
  EXPECT_EQ(mcp(port(), bobToken_, "tools/list").status, 200);
  ASSERT_TRUE(store_->users.setDisabled(alice_.username, false));
  EXPECT_TRUE(eventually([&] { return mcp(port(), aliceToken_, "tools/list").status == 200; }));
}

TEST_F(OAuthGate, ExpiredApiTokensAreRefused) {
  const std::string token = store_->apiToken(alice_, "tools:read", nullptr, 1ms);
  EXPECT_TRUE(eventually([&] { return mcp(port(), token, "tools/list").status == 401; }, 10s));
}

}  // namespace
}  // namespace portcullis::testing::oauth_it
