// Grants and what hangs off them (core/oauth/grant_store.hpp):
// authorization codes (single use; a reused code revokes its grant; a wrong
// verifier burns the code; they expire), refresh tokens (rotated; a reused
// one revokes the family), remembered consent, and the sweep.

#include "core/oauth/grant_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "core/storage/plugin_store.hpp"

#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;
using storage::Value;
using testing::challengeFor;
using testing::TempDir;

const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";  // RFC 7636 appendix B
const std::string kRedirect = "https://app.example/cb";

class GrantStoreTest : public ::testing::Test {
 protected:
  GrantStoreTest() : db_(storage::StorageOptions{dir_.file("grants.db")}), grants_(db_) {
    grant_ = grants_.createGrant("u_1", "client-1", "tools:read tools:call",
                                 "http://127.0.0.1:8080/mcp");
  }

  std::string code(std::chrono::milliseconds ttl = 60s) {
    return grants_.issueCode({grant_.id, "client-1", kRedirect, challengeFor(kVerifier)}, ttl);
  }
  bool revoked(const std::string& id) { return grants_.find(id)->revoked; }
  int64_t count(const std::string& table) {
    return db_.query("SELECT COUNT(*) FROM " + table).front().integer(0);
  }
  static void waitPast(int64_t millis) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (storage::nowMillis() <= millis && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(2ms);
  }

  TempDir dir_;
  storage::Database db_;
  GrantStore grants_;
  Grant grant_;
};

TEST(Pkce, Rfc7636AppendixB) {
  EXPECT_EQ(challengeFor(kVerifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_TRUE(
      GrantStore::verifierMatches(kVerifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
}

TEST(Pkce, VerifierSyntaxIsChecked) {
  const std::string ok43(43, 'a');
  EXPECT_TRUE(GrantStore::verifierMatches(ok43, challengeFor(ok43)));
  const std::string short42(42, 'a');
  EXPECT_FALSE(GrantStore::verifierMatches(short42, challengeFor(short42)));
  const std::string long129(129, 'a');
  EXPECT_FALSE(GrantStore::verifierMatches(long129, challengeFor(long129)));
  const std::string ok128(128, '~');
  EXPECT_TRUE(GrantStore::verifierMatches(ok128, challengeFor(ok128)));
  const std::string spaced = std::string(42, 'a') + " ";
  EXPECT_FALSE(GrantStore::verifierMatches(spaced, challengeFor(spaced)));
  const std::string plus = std::string(42, 'a') + "+";
  EXPECT_FALSE(GrantStore::verifierMatches(plus, challengeFor(plus)));
  // "plain": the verifier itself as challenge.
  EXPECT_FALSE(GrantStore::verifierMatches(kVerifier, kVerifier));
  EXPECT_FALSE(GrantStore::verifierMatches(kVerifier, ""));
}

TEST_F(GrantStoreTest, ACodeRedeemsOnceForItsGrant) {
  const std::string c = code();
  EXPECT_GE(c.size(), 40u);
  const auto first = grants_.redeemCode(c, "client-1", kRedirect, kVerifier);
  ASSERT_TRUE(first.grant.has_value()) << first.failure.description;
  EXPECT_EQ(first.grant->id, grant_.id);
  EXPECT_EQ(first.grant->userId, "u_1");
  EXPECT_EQ(first.grant->scope, "tools:read tools:call");
  EXPECT_FALSE(revoked(grant_.id));
}

TEST_F(GrantStoreTest, OnlyTheCodeHashIsStored) {
  const std::string c = code();
  const auto rows = db_.query("SELECT code_hash FROM auth_codes");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), common::sha256Hex(c));
}

TEST_F(GrantStoreTest, ReusingACodeRevokesTheGrantAndItsRefreshTokens) {
  const std::string c = code();
  ASSERT_TRUE(grants_.redeemCode(c, "client-1", kRedirect, kVerifier).grant);
  const std::string refresh = grants_.issueRefreshToken(grant_.id, 1h);
  const auto again = grants_.redeemCode(c, "client-1", kRedirect, kVerifier);
  EXPECT_FALSE(again.grant.has_value());
  EXPECT_EQ(again.failure.error, "invalid_grant");
  EXPECT_TRUE(revoked(grant_.id));
  EXPECT_FALSE(grants_.rotateRefreshToken(refresh, "client-1", 1h).grant);
  // The revocation is in the change log, for the resource servers.
  bool logged = false;
  for (const auto& change : changesSince(db_, 0))
    logged = logged || (change.kind == "grant" && change.ref == grant_.id);
  EXPECT_TRUE(logged);
}

TEST_F(GrantStoreTest, AWrongVerifierBurnsTheCode) {
  const std::string c = code();
  const auto wrong = grants_.redeemCode(c, "client-1", kRedirect, std::string(43, 'x'));
  EXPECT_FALSE(wrong.grant.has_value());
  EXPECT_EQ(wrong.failure.error, "invalid_grant");
  // The right verifier afterwards finds a spent code, which also revokes.
  EXPECT_FALSE(grants_.redeemCode(c, "client-1", kRedirect, kVerifier).grant.has_value());
  EXPECT_TRUE(revoked(grant_.id));
}

TEST_F(GrantStoreTest, AMissingOrMalformedVerifierFails) {
  for (const std::string& v : std::vector<std::string>{"", "short", challengeFor(kVerifier)}) {
    const std::string c = code();
    EXPECT_FALSE(grants_.redeemCode(c, "client-1", kRedirect, v).grant.has_value()) << v;
  }
}

TEST_F(GrantStoreTest, TheCodeIsBoundToClientAndRedirectUri) {
  std::string c = code();
  EXPECT_FALSE(grants_.redeemCode(c, "client-2", kRedirect, kVerifier).grant);
  c = code();
  EXPECT_FALSE(grants_.redeemCode(c, "client-1", kRedirect + "/", kVerifier).grant);
  c = code();
  EXPECT_FALSE(grants_.redeemCode(c, "client-1", "https://APP.example/cb", kVerifier).grant);
  c = code();
  EXPECT_FALSE(grants_.redeemCode(c, "client-1", kRedirect + "?x=1", kVerifier).grant);
}

TEST_F(GrantStoreTest, UnknownAndOversizedCodesFailCleanly) {
  for (const std::string& c : std::vector<std::string>{
           "", "nope", std::string(257, 'a'), std::string(1 << 16, 'a'), std::string("a\0b", 3)}) {
    const auto r = grants_.redeemCode(c, "client-1", kRedirect, kVerifier);
    EXPECT_FALSE(r.grant.has_value());
    EXPECT_EQ(r.failure.error, "invalid_grant");
    EXPECT_FALSE(r.failure.description.empty());
  }
  EXPECT_FALSE(revoked(grant_.id));
}

TEST_F(GrantStoreTest, CodesLastSixtySecondsByDefault) {
  AuthorizationServerOptions defaults;
  EXPECT_EQ(defaults.codeTtl, 60s);
  const int64_t before = storage::nowMillis();
  code();
  const int64_t expires = db_.query("SELECT expires_at FROM auth_codes").front().integer(0);
  EXPECT_GE(expires, before + 60'000);
  EXPECT_LE(expires, storage::nowMillis() + 60'000);
}

TEST_F(GrantStoreTest, AnExpiredCodeFails) {
  const std::string c = code(1ms);
  waitPast(db_.query("SELECT expires_at FROM auth_codes").front().integer(0));
  const auto r = grants_.redeemCode(c, "client-1", kRedirect, kVerifier);
  EXPECT_FALSE(r.grant.has_value());
  EXPECT_NE(r.failure.description.find("expired"), std::string::npos) << r.failure.description;
}

TEST_F(GrantStoreTest, ACodeOfARevokedGrantFails) {
  const std::string c = code();
  grants_.revokeGrant(grant_.id);
  EXPECT_FALSE(grants_.redeemCode(c, "client-1", kRedirect, kVerifier).grant);
}

TEST_F(GrantStoreTest, ConcurrentRedemptionsOfOneCodeSucceedOnceAtMost) {
  const std::string c = code();
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (grants_.redeemCode(c, "client-1", kRedirect, kVerifier).grant) ++successes;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(successes.load(), 1);
}

// ---- refresh tokens ----------------------------------------------------------------------

TEST_F(GrantStoreTest, RefreshTokensRotate) {
  const std::string first = grants_.issueRefreshToken(grant_.id, 1h);
  auto r1 = grants_.rotateRefreshToken(first, "client-1", 1h);
  ASSERT_TRUE(r1.grant.has_value()) << r1.failure.description;
  EXPECT_EQ(r1.grant->id, grant_.id);
  EXPECT_NE(r1.refreshToken, first);
  auto r2 = grants_.rotateRefreshToken(r1.refreshToken, "client-1", 1h);
  ASSERT_TRUE(r2.grant.has_value());
  EXPECT_NE(r2.refreshToken, r1.refreshToken);
  // Stored as hashes only.
  for (const auto& row : db_.query("SELECT token_hash FROM refresh_tokens")) {
    EXPECT_NE(row.text(0), first);
    EXPECT_NE(row.text(0), r1.refreshToken);
  }
}

TEST_F(GrantStoreTest, ARotationRecordsTheGrantsUseAndTheCallersStepInOneTransaction) {
  const std::string token = grants_.issueRefreshToken(grant_.id, 1h);
  auto lastUsed = [&] {
    return db_.query("SELECT last_used_at FROM grants WHERE id = ?", {Value(grant_.id)})
        .front()
        .optionalInteger(0);
  };
  EXPECT_EQ(lastUsed(), std::nullopt);
  // A step that fails undoes the whole rotation: the token stays usable.
  EXPECT_THROW(grants_.rotateRefreshToken(
                   token, "client-1", 1h,
                   [](storage::Connection&) { throw std::runtime_error("step failed"); }),
               std::runtime_error);
  EXPECT_EQ(lastUsed(), std::nullopt);
  EXPECT_EQ(count("refresh_tokens"), 1);
  // A refused token does not run the step.
  bool ran = false;
  EXPECT_FALSE(
      grants_
          .rotateRefreshToken("unknown", "client-1", 1h, [&](storage::Connection&) { ran = true; })
          .grant);
  EXPECT_FALSE(ran);
  const auto r = grants_.rotateRefreshToken(token, "client-1", 1h, [&](storage::Connection& c) {
    ran = true;
    c.execute("UPDATE grants SET scope = scope WHERE id = ?", {Value(grant_.id)});
  });
  ASSERT_TRUE(r.grant.has_value()) << r.failure.description;
  EXPECT_TRUE(ran);
  EXPECT_TRUE(lastUsed().has_value());
  EXPECT_EQ(count("refresh_tokens"), 2);
}

TEST_F(GrantStoreTest, ReusingARefreshTokenRevokesTheWholeFamily) {
  const std::string first = grants_.issueRefreshToken(grant_.id, 1h);
  auto next = grants_.rotateRefreshToken(first, "client-1", 1h);
  ASSERT_TRUE(next.grant);
  // An attacker (or the client) presents the spent token again.
  auto reuse = grants_.rotateRefreshToken(first, "client-1", 1h);
  EXPECT_FALSE(reuse.grant.has_value());
  EXPECT_EQ(reuse.failure.error, "invalid_grant");
  EXPECT_TRUE(revoked(grant_.id));
  // The legitimate successor is dead too.
  EXPECT_FALSE(grants_.rotateRefreshToken(next.refreshToken, "client-1", 1h).grant);
  EXPECT_EQ(count("refresh_tokens"), 0);
}

TEST_F(GrantStoreTest, ARefreshTokenIsBoundToItsClient) {
  const std::string token = grants_.issueRefreshToken(grant_.id, 1h);
  const auto other = grants_.rotateRefreshToken(token, "client-2", 1h);
  EXPECT_FALSE(other.grant.has_value());
  EXPECT_FALSE(revoked(grant_.id));
  // Still usable by its own client.
  EXPECT_TRUE(grants_.rotateRefreshToken(token, "client-1", 1h).grant.has_value());
  EXPECT_EQ(grants_.grantOfRefreshToken(token, "client-2"), std::nullopt);
}

TEST_F(GrantStoreTest, AnExpiredRefreshTokenFails) {
  const std::string token = grants_.issueRefreshToken(grant_.id, 1ms);
  waitPast(db_.query("SELECT MAX(expires_at) FROM refresh_tokens").front().integer(0));
  const auto r = grants_.rotateRefreshToken(token, "client-1", 1h);
  EXPECT_FALSE(r.grant.has_value());
  EXPECT_NE(r.failure.description.find("expired"), std::string::npos) << r.failure.description;
}

TEST_F(GrantStoreTest, RefreshOfARevokedGrantFails) {
  const std::string token = grants_.issueRefreshToken(grant_.id, 1h);
  grants_.revokeGrant(grant_.id);
  EXPECT_FALSE(grants_.rotateRefreshToken(token, "client-1", 1h).grant);
}

TEST_F(GrantStoreTest, UnknownRefreshTokensFailWithoutRevokingAnything) {
  grants_.issueRefreshToken(grant_.id, 1h);
  for (const std::string& t : std::vector<std::string>{"", "x", std::string(300, 'r')}) {
    EXPECT_FALSE(grants_.rotateRefreshToken(t, "client-1", 1h).grant);
  }
  EXPECT_FALSE(revoked(grant_.id));
}

TEST_F(GrantStoreTest, ConcurrentRotationsOfOneTokenSucceedOnceAtMost) {
  const std::string token = grants_.issueRefreshToken(grant_.id, 1h);
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (grants_.rotateRefreshToken(token, "client-1", 1h).grant) ++successes;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(successes.load(), 1);
}

// ---- consent -----------------------------------------------------------------------------

TEST_F(GrantStoreTest, RememberedConsentCoversWhatWasGranted) {
  EXPECT_FALSE(grants_.consentCovers("u_1", "client-1", {"tools:read"}));
  grants_.rememberConsent("u_1", "client-1", "tools:read tools:call", 1h);
  EXPECT_TRUE(grants_.consentCovers("u_1", "client-1", {"tools:read"}));
  EXPECT_TRUE(grants_.consentCovers("u_1", "client-1", {"tools:read", "tools:call"}));
  EXPECT_TRUE(grants_.consentCovers("u_1", "client-1", {}));
  EXPECT_FALSE(grants_.consentCovers("u_1", "client-1", {"tools:read", "resources:read"}));
  // Per user and per client.
  EXPECT_FALSE(grants_.consentCovers("u_2", "client-1", {"tools:read"}));
  EXPECT_FALSE(grants_.consentCovers("u_1", "client-2", {"tools:read"}));
}

TEST_F(GrantStoreTest, RememberingAgainReplacesTheConsent) {
  grants_.rememberConsent("u_1", "client-1", "tools:read tools:call", 1h);
  grants_.rememberConsent("u_1", "client-1", "prompts:read", 1h);
  EXPECT_FALSE(grants_.consentCovers("u_1", "client-1", {"tools:read"}));
  EXPECT_TRUE(grants_.consentCovers("u_1", "client-1", {"prompts:read"}));
  EXPECT_EQ(count("consents"), 1);
}

TEST_F(GrantStoreTest, ConsentExpires) {
  grants_.rememberConsent("u_1", "client-1", "tools:read", 1ms);
  waitPast(db_.query("SELECT expires_at FROM consents").front().integer(0));
  EXPECT_FALSE(grants_.consentCovers("u_1", "client-1", {"tools:read"}));
}

// ---- sweep and listings -------------------------------------------------------------------

TEST_F(GrantStoreTest, SweepDropsWhatExpiredAndKeepsWhatLives) {
  code(60s);
  db_.execute(
      "INSERT INTO auth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, "
      "expires_at) "
      "VALUES ('old', ?, 'client-1', 'x', 'y', ?)",
      {Value(grant_.id), Value(storage::nowMillis() - 2 * 3'600'000)});
  grants_.issueRefreshToken(grant_.id, 1h);
  grants_.issueRefreshToken(grant_.id, 1ms);
  grants_.rememberConsent("u_1", "client-1", "tools:read", 1h);
  grants_.rememberConsent("u_2", "client-1", "tools:read", 1ms);
  storage::PluginStore kv(db_, "p");
  kv.put("live", "1", 1h);
  kv.put("dead", "1", 1ms);
  kv.put("forever", "1", 0ms);
  waitPast(storage::nowMillis() + 5);
  grants_.sweep();
  EXPECT_EQ(count("auth_codes"), 1);
  EXPECT_EQ(count("refresh_tokens"), 1);
  EXPECT_EQ(count("consents"), 1);
  EXPECT_EQ(count("plugin_kv"), 2);
}

TEST_F(GrantStoreTest, ListingsShowLiveGrantsOnly) {
  UserDirectory users(db_);
  const User alice = users.create("alice", "", "member", "test");
  const User bob = users.create("bob", "", "member", "test");
  grants_.createGrant(alice.id, "c", "tools:read", "r");
  const Grant b = grants_.createGrant(bob.id, "c", "prompts:read", "r");
  EXPECT_EQ(grants_.usersOfClient("c"), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(grants_.scopesOfClient("c"), (std::vector<std::string>{"prompts:read", "tools:read"}));
  grants_.revokeGrant(b.id);
  EXPECT_EQ(grants_.usersOfClient("c"), std::vector<std::string>{"alice"});
  EXPECT_EQ(grants_.scopesOfClient("c"), std::vector<std::string>{"tools:read"});
}

}  // namespace
}  // namespace portcullis::oauth
