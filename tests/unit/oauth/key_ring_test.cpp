// The signing keys (core/oauth/key_ring.hpp): created on first use, sealed
// at rest under the secret key, rotated with the old key still verifying
// (and in the JWKS) while its tokens can live, and a clear error for the
// wrong secret key.

#include "core/oauth/key_ring.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;

using storage::Value;
using testing::TempDir;
using testing::testSecret;

class KeyRingTest : public ::testing::Test {
 protected:
  KeyRingTest() : db_(storage::StorageOptions{dir_.file("keys.db")}) {}

  std::vector<std::string> jwksKids(const KeyRing& ring) {
    std::vector<std::string> out;
    auto keys = json::getArray(ring.jwks(), "keys");
    for (const auto& k : *keys) out.push_back(*json::getString(json::asObject(k), "kid"));
    return out;
  }

  TempDir dir_;
  storage::Database db_;
};

TEST_F(KeyRingTest, LoadCreatesTheFirstKeyOnce) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  ASSERT_NE(ring.current(), nullptr);
  EXPECT_EQ(ring.current()->alg(), "ES256");
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM signing_keys").front().integer(0), 1);
  // Another server (or a restart) finds the same key.
  KeyRing again(db_, testSecret(), "ES256", 1h);
  again.load();
  EXPECT_EQ(again.current()->kid(), ring.current()->kid());
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM signing_keys").front().integer(0), 1);
}

TEST_F(KeyRingTest, KeysAreSealedAtRest) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  const auto rows = db_.query("SELECT kid, private_key FROM signing_keys");
  ASSERT_EQ(rows.size(), 1u);
  const std::string stored = rows[0].text(1);
  EXPECT_EQ(stored.find("PRIVATE"), std::string::npos);
  EXPECT_EQ(stored.find("BEGIN"), std::string::npos);
  const auto pem = common::unseal(testSecret(), stored, "signing-key:" + rows[0].text(0));
  ASSERT_TRUE(pem.has_value());
  EXPECT_EQ(*pem, ring.current()->privatePem());
}

TEST_F(KeyRingTest, TheWrongSecretKeyCannotUnsealAndSaysSo) {
  {
    KeyRing ring(db_, testSecret(), "ES256", 1h);
    ring.load();
  }
  KeyRing wrong(db_, testSecret("another secret"), "ES256", 1h);
  try {
    wrong.load();
    FAIL() << "keys were loaded with the wrong secret key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("secret key"), std::string::npos) << e.what();
  }
  // Nothing was replaced: the right secret still loads the original key.
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM signing_keys").front().integer(0), 1);
}

TEST_F(KeyRingTest, ASealedKeyMovedToAnotherRowDoesNotLoad) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  const std::string kid = ring.current()->kid();
  db_.execute("UPDATE signing_keys SET kid = ? WHERE kid = ?",
              {Value("someone-elses-kid"), Value(kid)});
  KeyRing again(db_, testSecret(), "ES256", 1h);
  EXPECT_THROW(again.load(), std::runtime_error);
}

TEST_F(KeyRingTest, RotationKeepsTheOldKeyVerifyingAndPublished) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  const auto old = ring.current();
  const std::string token = signJwt(*old, "at+jwt", json::makeObject());
  const auto fresh = ring.rotate();
  EXPECT_NE(fresh->kid(), old->kid());
  EXPECT_EQ(ring.current()->kid(), fresh->kid());
  ASSERT_NE(ring.byKid(old->kid()), nullptr);
  auto decoded = decodeJwt(token);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(ring.byKid(old->kid())->verify(decoded->signingInput, decoded->signature));
  const auto kids = jwksKids(ring);
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0], fresh->kid());
  EXPECT_EQ(kids[1], old->kid());
  const auto listed = ring.list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_FALSE(listed[0].retiredAt.has_value());
  EXPECT_TRUE(listed[1].retiredAt.has_value());
  // Another server that reloads sees the same state.
  KeyRing other(db_, testSecret(), "ES256", 1h);
  other.load();
  EXPECT_EQ(other.current()->kid(), fresh->kid());
  EXPECT_NE(other.byKid(old->kid()), nullptr);
}

TEST_F(KeyRingTest, AKeyRetiredLongerThanATokenLivesNoLongerVerifies) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  const std::string oldKid = ring.current()->kid();
  ring.rotate();
  // Retired long enough ago that every token it signed has expired.
  db_.execute("UPDATE signing_keys SET retired_at = ? WHERE kid = ?",
              {Value(storage::nowMillis() - 3'600'000 - 120'000), Value(oldKid)});
  KeyRing reloaded(db_, testSecret(), "ES256", 1h);
  reloaded.load();
  EXPECT_EQ(reloaded.byKid(oldKid), nullptr);
  EXPECT_EQ(jwksKids(reloaded).size(), 1u);
  // The next rotation drops it from the database.
  reloaded.rotate();
  EXPECT_TRUE(db_.query("SELECT kid FROM signing_keys WHERE kid = ?", {Value(oldKid)}).empty());
}

TEST_F(KeyRingTest, TheSigningKeyStaysCurrentWhatEverTheClocksSaid) {
  // A rotation made on a host whose clock is behind (or in the same
  // millisecond) gives the new key an older created_at than the key it
  // retired. Reloading must not mistake the retired key for the current one
  // (and rotate again, which every other server would then repeat).
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  const std::string oldKid = ring.current()->kid();
  const std::string newKid = ring.rotate()->kid();
  db_.execute("UPDATE signing_keys SET created_at = created_at + 10000 WHERE kid = ?",
              {Value(oldKid)});
  for (int i = 0; i < 3; ++i) {
    KeyRing reloaded(db_, testSecret(), "ES256", 1h);
    reloaded.load();
    EXPECT_EQ(reloaded.current()->kid(), newKid);
  }
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM signing_keys").front().integer(0), 2);
}

TEST_F(KeyRingTest, ARecentlyRetiredKeyStillVerifies) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  const std::string oldKid = ring.current()->kid();
  ring.rotate();
  db_.execute("UPDATE signing_keys SET retired_at = ? WHERE kid = ?",
              {Value(storage::nowMillis() - 3'000'000), Value(oldKid)});
  KeyRing reloaded(db_, testSecret(), "ES256", 1h);
  reloaded.load();
  EXPECT_NE(reloaded.byKid(oldKid), nullptr);
  EXPECT_EQ(jwksKids(reloaded).size(), 2u);
}

TEST_F(KeyRingTest, ChangingTheAlgorithmAddsAKeyOfTheNewAlgorithm) {
  KeyRing es(db_, testSecret(), "ES256", 1h);
  es.load();
  const std::string esKid = es.current()->kid();
  KeyRing rs(db_, testSecret(), "RS256", 1h);
  rs.load();
  EXPECT_EQ(rs.current()->alg(), "RS256");
  // The ES256 key keeps verifying what it signed.
  ASSERT_NE(rs.byKid(esKid), nullptr);
  EXPECT_EQ(rs.byKid(esKid)->alg(), "ES256");
}

TEST_F(KeyRingTest, UnknownKidsAreNotFound) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  EXPECT_EQ(ring.byKid(""), nullptr);
  EXPECT_EQ(ring.byKid("no-such-kid"), nullptr);
  EXPECT_EQ(ring.byKid(ring.current()->kid() + "x"), nullptr);
}

TEST_F(KeyRingTest, JwksHasOnlyPublicMembers) {
  KeyRing ring(db_, testSecret(), "RS256", 1h);
  ring.load();
  ring.rotate();
  const std::string text = json::stringify(ring.jwks());
  for (const char* privateMember : {"\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""}) {
    EXPECT_EQ(text.find(privateMember), std::string::npos) << privateMember << " in " << text;
  }
}

TEST_F(KeyRingTest, RotationIsRecordedInTheChangeLog) {
  KeyRing ring(db_, testSecret(), "ES256", 1h);
  ring.load();
  const auto key = ring.rotate();
  bool found = false;
  for (const auto& c : changesSince(db_, 0))
    found = found || (c.kind == change_kind::kSigningKey && c.ref == key->kid());
  EXPECT_TRUE(found);
}

// ---- the secret key ----------------------------------------------------------------

class SecretKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("PORTCULLIS_SECRET_KEY")) saved_ = v;
    unsetenv("PORTCULLIS_SECRET_KEY");
  }
  void TearDown() override {
    if (saved_) {
      setenv("PORTCULLIS_SECRET_KEY", saved_->c_str(), 1);
    } else {
      unsetenv("PORTCULLIS_SECRET_KEY");
    }
  }
  TempDir dir_;
  std::optional<std::string> saved_;
};

TEST_F(SecretKeyTest, AMissingFileIsCreatedOwnerOnlyAndReused) {
  const std::string file = dir_.file("sub/secret.key");
  const std::string first = loadSecretKey(file);
  EXPECT_EQ(first.size(), 32u);
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(loadSecretKey(file), first);
}

TEST_F(SecretKeyTest, TheEnvironmentWins) {
  const std::string file = dir_.file("secret.key");
  setenv("PORTCULLIS_SECRET_KEY", "an environment secret of some length", 1);
  const std::string fromEnv = loadSecretKey(file);
  EXPECT_EQ(fromEnv, common::sha256("an environment secret of some length"));
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(SecretKeyTest, ATooShortSecretIsRefused) {
  const std::string file = dir_.file("short.key");
  std::ofstream(file) << "short\n";
  EXPECT_THROW(loadSecretKey(file), std::runtime_error);
}

TEST_F(SecretKeyTest, SurroundingWhitespaceDoesNotChangeTheKey) {
  const std::string a = dir_.file("a.key");
  const std::string b = dir_.file("b.key");
  std::ofstream(a) << "0123456789abcdef0123";
  std::ofstream(b) << "  0123456789abcdef0123\r\n\n";
  EXPECT_EQ(loadSecretKey(a), loadSecretKey(b));
}

}  // namespace
}  // namespace portcullis::oauth
