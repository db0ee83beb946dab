// Linked accounts (core/accounts/account_links.hpp) against a stand-in
// upstream: declaring, linking with a single-use state bound to the user,
// tokens sealed at rest, refresh before expiry and one refresh at a time,
// a refused refresh removing the link, unlinking with revocation, and
// clients registered once per redirect URI.

#include "core/accounts/account_links.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "core/common/crypto.hpp"
#include "core/common/text.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace portcullis::accounts {
namespace {

using storage::Value;
using storage::testing::TempDir;

const std::string kKey(32, 'k');
const std::string kRedirect = "https://gw.example/accounts/callback";
const std::string kBrowser = "browser-key-of-alice-0123456789";
const std::string kOtherBrowser = "browser-key-of-bob-0123456789ab";

// Answers like an authorization server, and remembers what it was asked.
class FakeUpstream : public UpstreamOAuthClient {
 public:
  Endpoints discover(const ProviderSettings& settings) override {
    ++discoveries;
    if (failDiscovery) throw UpstreamOAuthError("", "discovery failed");
    Endpoints e;
    e.issuer = "https://as.example";
    e.authorizationEndpoint = "https://as.example/authorize";
    e.tokenEndpoint = "https://as.example/token";
    e.revocationEndpoint = "https://as.example/revoke";
    e.registrationEndpoint = "https://as.example/register";
    e.scopes = settings.scopes;
    return e;
  }
  ClientRegistration registerClient(const Endpoints&, const std::string& redirectUri, const std::string&) override {
    ++registrations;
    return ClientRegistration{"client-" + std::to_string(registrations.load()), ""};
  }
  TokenSet exchangeCode(const Endpoints&, const ClientRegistration& client, const std::string& code,
                        const std::string& redirectUri, const std::string& verifier, const std::string&) override {
    lastVerifier = verifier;
    lastClient = client.clientId;
    if (code != "good-code") throw UpstreamOAuthError("invalid_grant", "bad code");
    return issue();
  }
  TokenSet refresh(const Endpoints&, const ClientRegistration&, const std::string& refreshToken,
                   const std::string&) override {
    ++refreshes;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // widen the race window
    if (!refusedCode.empty()) throw UpstreamOAuthError(refusedCode, "refused");
    if (refreshToken != current.refreshToken) throw UpstreamOAuthError("invalid_grant", "reused refresh token");
    return issue();
  }
  void revoke(const Endpoints&, const ClientRegistration&, const std::string& token) override { revoked.push_back(token); }

  TokenSet issue() {
    ++issued;
    current.accessToken = "access-" + std::to_string(issued);
    current.refreshToken = "refresh-" + std::to_string(issued);
    current.tokenType = "Bearer";
    current.expiresAt = storage::nowMillis() + lifetimeMs;
    return current;
  }

  std::atomic<int> discoveries{0}, registrations{0}, refreshes{0};
  int issued = 0;
  int64_t lifetimeMs = 3'600'000;
  bool failDiscovery = false;
  std::string refusedCode;
  std::string lastVerifier, lastClient;
  std::vector<std::string> revoked;
  TokenSet current;
};

std::string param(const std::string& url, const std::string& name) {
  const auto at = url.find(name + "=");
  if (at == std::string::npos) return "";
  const auto end = url.find('&', at);
  return url.substr(at + name.size() + 1, end == std::string::npos ? std::string::npos : end - at - name.size() - 1);
}

class AccountLinksTest : public ::testing::Test {
 protected:
  AccountLinksTest() {
    AccountDefinition d;
    d.name = "github";
    d.title = "GitHub";
    d.provider.resource = "https://mcp.example/mcp";
    d.provider.scopes = {"repo"};
    links.declare(d);
  }

  // Links alice's account through the whole flow; returns the state used.
  std::string linkAlice() {
    const std::string url = links.beginLink("alice", "github", kRedirect, kBrowser);
    const std::string state = param(url, "state");
    const auto done = links.completeLink(state, "good-code", kBrowser);
    EXPECT_EQ(done.userId, "alice");
    EXPECT_EQ(done.account, "github");
    return state;
  }

  TempDir dir;
  storage::Database db{storage::StorageOptions{dir.file("links.db")}};
  FakeUpstream upstream;
  AccountLinks links{db, kKey, upstream};
};

TEST_F(AccountLinksTest, DeclaringTwiceOrWithoutAnUpstreamIsRefused) {
  AccountDefinition again;
  again.name = "github";
  again.provider.resource = "https://other.example";
  EXPECT_THROW(links.declare(again), LinkError);
  AccountDefinition nowhere;
  nowhere.name = "nowhere";
  EXPECT_THROW(links.declare(nowhere), LinkError);
  AccountDefinition endpoints;
  endpoints.name = "configured";
  endpoints.provider.authorizationEndpoint = "https://as/authorize";
  endpoints.provider.tokenEndpoint = "https://as/token";
  EXPECT_NO_THROW(links.declare(endpoints));
  EXPECT_EQ(links.definition("configured")->title, "configured");  // the name when no title
  EXPECT_EQ(links.definitions().size(), 2u);
}

TEST_F(AccountLinksTest, AnUnlinkedUserIsToldToLink) {
  const AccessToken t = links.token("alice", "github");
  EXPECT_EQ(t.status, AccessToken::Status::kNotLinked);
  EXPECT_TRUE(t.value.empty());
  EXPECT_EQ(links.token("", "github").status, AccessToken::Status::kNotLinked);
  EXPECT_EQ(links.token("alice", "unknown").status, AccessToken::Status::kUnavailable);
}

TEST_F(AccountLinksTest, LinkingStoresSealedTokensUsedForThatUserOnly) {
  const std::string url = links.beginLink("alice", "github", kRedirect, kBrowser);
  EXPECT_EQ(url.rfind("https://as.example/authorize?", 0), 0u) << url;
  EXPECT_EQ(param(url, "code_challenge_method"), "S256");
  EXPECT_EQ(param(url, "client_id"), "client-1");
  const std::string state = param(url, "state");
  ASSERT_GE(state.size(), 40u);
  EXPECT_EQ(links.completeLink(state, "good-code", kBrowser).account, "github");
  // The verifier sent matches the challenge in the URL.
  EXPECT_EQ(common::base64UrlEncode(common::sha256(upstream.lastVerifier)), param(url, "code_challenge"));

  const AccessToken t = links.token("alice", "github");
  ASSERT_EQ(t.status, AccessToken::Status::kOk);
  EXPECT_EQ(t.value, "access-1");
  EXPECT_EQ(links.token("bob", "github").status, AccessToken::Status::kNotLinked);

  // Nothing readable at rest; a sealed value moved to another user's row
  // does not open.
  const auto rows = db.query("SELECT access_token, refresh_token FROM account_links");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0).find("access-1"), std::string::npos);
  EXPECT_EQ(rows[0].text(1).find("refresh-1"), std::string::npos);
  db.execute(
      "INSERT INTO account_links (user_id, account, access_token, refresh_token, scope, expires_at, redirect_uri, "
      "created_at, updated_at) SELECT 'mallory', account, access_token, refresh_token, scope, expires_at, "
      "redirect_uri, created_at, updated_at FROM account_links WHERE user_id = 'alice'");
  EXPECT_NE(links.token("mallory", "github").status, AccessToken::Status::kOk);

  const auto listed = links.linkedBy("alice");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].account, "github");
  EXPECT_TRUE(listed[0].refreshable);
}

TEST_F(AccountLinksTest, AStateIsSingleUseAndBoundToTheBrowserThatStarted) {
  const std::string url = links.beginLink("alice", "github", kRedirect, kBrowser);
  const std::string state = param(url, "state");
  // Another browser cannot finish alice's flow (her consent page sent to
  // someone else links nothing), and the attempt burns it.
  EXPECT_THROW(links.completeLink(state, "good-code", kOtherBrowser), LinkError);
  EXPECT_THROW(links.completeLink(state, "good-code", kBrowser), LinkError);
  EXPECT_THROW(links.completeLink("made-up-state", "good-code", kBrowser), LinkError);
  EXPECT_THROW(links.completeLink("", "good-code", kBrowser), LinkError);
  EXPECT_THROW(links.completeLink(param(links.beginLink("alice", "github", kRedirect, kBrowser), "state"), "good-code", ""),
               LinkError);
  EXPECT_THROW(links.beginLink("alice", "github", kRedirect, "short"), LinkError);
  EXPECT_EQ(links.token("alice", "github").status, AccessToken::Status::kNotLinked);
  EXPECT_EQ(links.token("bob", "github").status, AccessToken::Status::kNotLinked);

  // A code the upstream refuses links nothing; the state is gone too.
  const std::string second = param(links.beginLink("alice", "github", kRedirect, kBrowser), "state");
  EXPECT_THROW(links.completeLink(second, "bad-code", kBrowser), UpstreamOAuthError);
  EXPECT_THROW(links.completeLink(second, "good-code", kBrowser), LinkError);
  EXPECT_EQ(links.token("alice", "github").status, AccessToken::Status::kNotLinked);
}

TEST_F(AccountLinksTest, AnExpiredStateIsRefused) {
  const std::string state = param(links.beginLink("alice", "github", kRedirect, kBrowser), "state");
  db.execute("UPDATE account_link_states SET expires_at = 1");
  EXPECT_THROW(links.completeLink(state, "good-code", kBrowser), LinkError);
}

TEST_F(AccountLinksTest, UnknownAccountsAndAnonymousUsersCannotStart) {
  EXPECT_THROW(links.beginLink("alice", "gitlab", kRedirect, kBrowser), LinkError);
  EXPECT_THROW(links.beginLink("", "github", kRedirect, kBrowser), LinkError);
  upstream.failDiscovery = true;
  EXPECT_THROW(links.beginLink("alice", "github", kRedirect, kBrowser), UpstreamOAuthError);
  upstream.failDiscovery = false;  // a failed discovery is tried again
  EXPECT_NO_THROW(links.beginLink("alice", "github", kRedirect, kBrowser));
}

TEST_F(AccountLinksTest, TheClientIsRegisteredOncePerRedirectUriAndDiscoveryCached) {
  linkAlice();
  links.beginLink("bob", "github", kRedirect, kBrowser);
  EXPECT_EQ(upstream.registrations, 1);
  EXPECT_EQ(upstream.discoveries, 1);
  links.beginLink("bob", "github", "http://127.0.0.1:9/accounts/callback", kBrowser);
  EXPECT_EQ(upstream.registrations, 2);
  // A fresh process finds the registration in the database.
  FakeUpstream other;
  AccountLinks again{db, kKey, other};
  AccountDefinition d;
  d.name = "github";
  d.provider.resource = "https://mcp.example/mcp";
  again.declare(d);
  again.beginLink("carol", "github", kRedirect, kBrowser);
  EXPECT_EQ(other.registrations, 0);
}

TEST_F(AccountLinksTest, ATokenAboutToExpireIsRefreshedOnceForConcurrentCalls) {
  upstream.lifetimeMs = 30'000;  // inside the one-minute margin
  linkAlice();
  std::vector<std::thread> callers;
  std::vector<AccessToken> results(6);
  for (size_t i = 0; i < results.size(); ++i) {
    callers.emplace_back([&, i] { results[i] = links.token("alice", "github"); });
  }
  for (auto& t : callers) t.join();
  // The first refresh gives another short-lived token: each waiting caller
  // may refresh again, but never with a refresh token already used.
  for (const auto& r : results) {
    ASSERT_EQ(r.status, AccessToken::Status::kOk) << r.error;
    EXPECT_NE(r.value, "access-1");
  }
  EXPECT_EQ(links.linkedBy("alice").size(), 1u);

  upstream.lifetimeMs = 3'600'000;
  const int before = upstream.refreshes;
  const AccessToken fresh = links.token("alice", "github");  // one more refresh, then a long-lived token
  ASSERT_EQ(fresh.status, AccessToken::Status::kOk);
  EXPECT_EQ(links.token("alice", "github").value, fresh.value);
  EXPECT_EQ(upstream.refreshes, before + 1);
  // refreshNow: the upstream refused the token.
  EXPECT_NE(links.token("alice", "github", true).value, fresh.value);
}

TEST_F(AccountLinksTest, ARefusedRefreshRemovesTheLinkAndAnOutageKeepsIt) {
  upstream.lifetimeMs = 1;
  linkAlice();
  upstream.refusedCode = "temporarily_unavailable";
  EXPECT_EQ(links.token("alice", "github").status, AccessToken::Status::kUnavailable);
  EXPECT_EQ(links.linkedBy("alice").size(), 1u);
  upstream.refusedCode = "invalid_grant";
  EXPECT_EQ(links.token("alice", "github").status, AccessToken::Status::kNotLinked);
  EXPECT_TRUE(links.linkedBy("alice").empty());
}

TEST_F(AccountLinksTest, UnlinkingRevokesAtTheUpstreamAndForgets) {
  linkAlice();
  EXPECT_TRUE(links.unlink("alice", "github"));
  EXPECT_EQ(upstream.revoked, (std::vector<std::string>{"refresh-1"}));
  EXPECT_EQ(links.token("alice", "github").status, AccessToken::Status::kNotLinked);
  EXPECT_FALSE(links.unlink("alice", "github"));
  EXPECT_TRUE(links.all().empty());
}

TEST_F(AccountLinksTest, ALinkWithoutARefreshTokenExpiresIntoRelinking) {
  upstream.lifetimeMs = 1;
  linkAlice();
  db.execute("UPDATE account_links SET refresh_token = ''");  // the upstream gave none
  EXPECT_EQ(links.token("alice", "github").status, AccessToken::Status::kNotLinked);
  EXPECT_TRUE(links.all().empty());
}

}  // namespace
}  // namespace portcullis::accounts
