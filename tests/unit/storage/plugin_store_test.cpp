// The plugins' key-value store (core/storage/plugin_store.hpp): values kept
// until deleted or until their TTL passes, one namespace per plugin, and
// hostile keys and values (NUL bytes, SQL, invalid UTF-8, megabytes) stored
// and returned byte for byte.

#include "core/storage/plugin_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/unit/storage/temp_dir.hpp"

namespace portcullis::storage {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

class PluginStoreTest : public ::testing::Test {
 protected:
  PluginStoreTest() : db_(StorageOptions{dir_.file("kv.db")}) {}

  // Polls (bounded) until the key is gone; true when it went.
  static bool expires(PluginStore& store, const std::string& key,
                      std::chrono::milliseconds bound = 10s) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
      if (!store.get(key)) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  TempDir dir_;
  Database db_;
};

TEST_F(PluginStoreTest, PutGetOverwriteRemove) {
  PluginStore store(db_, "p");
  EXPECT_EQ(store.get("k"), std::nullopt);
  store.put("k", "v1", 0ms);
  EXPECT_EQ(store.get("k"), "v1");
  store.put("k", "v2", 0ms);
  EXPECT_EQ(store.get("k"), "v2");
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM plugin_kv").front().integer(0), 1);
  store.remove("k");
  EXPECT_EQ(store.get("k"), std::nullopt);
  store.remove("k");  // removing what is not there is fine
  store.remove("never-set");
}

TEST_F(PluginStoreTest, AnEmptyValueIsAValueNotAbsence) {
  PluginStore store(db_, "p");
  store.put("empty", "", 0ms);
  EXPECT_EQ(store.get("empty"), std::string());
}

TEST_F(PluginStoreTest, ZeroOrNegativeTtlKeepsTheValue) {
  PluginStore store(db_, "p");
  store.put("zero", "z", 0ms);
  store.put("negative", "n", -5000ms);
  const auto rows = db_.query("SELECT COUNT(*) FROM plugin_kv WHERE expires_at IS NULL");
  EXPECT_EQ(rows.front().integer(0), 2);
  EXPECT_EQ(store.get("zero"), "z");
  EXPECT_EQ(store.get("negative"), "n");
}

TEST_F(PluginStoreTest, AValueExpiresAfterItsTtl) {
  PluginStore store(db_, "p");
  const int64_t before = nowMillis();
  store.put("short", "s", 150ms);
  store.put("long", "l", 1h);
  // The expiry is stamped from the TTL.
  const auto rows = db_.query("SELECT expires_at FROM plugin_kv WHERE key = 'short'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_GE(rows[0].integer(0), before + 150);
  EXPECT_LE(rows[0].integer(0), nowMillis() + 150);
  EXPECT_TRUE(expires(store, "short"));
  EXPECT_EQ(store.get("long"), "l");
}

TEST_F(PluginStoreTest, PuttingAgainRenewsOrClearsTheTtl) {
  PluginStore store(db_, "p");
  store.put("k", "first", 100ms);
  store.put("k", "second", 0ms);  // no expiry any more
  const auto rows = db_.query("SELECT expires_at FROM plugin_kv WHERE key = 'k'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].isNull(0));
  EXPECT_EQ(store.get("k"), "second");
}

TEST_F(PluginStoreTest, AnExpiredValueCanBeWrittenAgain) {
  PluginStore store(db_, "p");
  store.put("k", "old", 50ms);
  ASSERT_TRUE(expires(store, "k"));
  store.put("k", "new", 0ms);
  EXPECT_EQ(store.get("k"), "new");
}

TEST_F(PluginStoreTest, EachPluginHasItsOwnNamespace) {
  PluginStore a(db_, "alpha");
  PluginStore b(db_, "beta");
  a.put("shared", "from alpha", 0ms);
  EXPECT_EQ(b.get("shared"), std::nullopt);
  b.put("shared", "from beta", 0ms);
  EXPECT_EQ(a.get("shared"), "from alpha");
  EXPECT_EQ(b.get("shared"), "from beta");
  b.remove("shared");
  EXPECT_EQ(a.get("shared"), "from alpha");
  EXPECT_EQ(b.get("shared"), std::nullopt);
}

TEST_F(PluginStoreTest, PluginNamesThatLookAlikeDoNotShare) {
  // Names that a prefix match, a LIKE pattern or a trimmed comparison could
  // confuse.
  PluginStore plain(db_, "idp");
  PluginStore longer(db_, "idp2");
  PluginStore wildcard(db_, "id%");
  PluginStore spaced(db_, "idp ");
  PluginStore upper(db_, "IDP");
  plain.put("k", "plain", 0ms);
  EXPECT_EQ(longer.get("k"), std::nullopt);
  EXPECT_EQ(wildcard.get("k"), std::nullopt);
  EXPECT_EQ(spaced.get("k"), std::nullopt);
  EXPECT_EQ(upper.get("k"), std::nullopt);
}

TEST_F(PluginStoreTest, HostileKeysAreJustKeys) {
  PluginStore store(db_, "p");
  PluginStore other(db_, "q");
  const std::vector<std::string> keys{
      "'; DROP TABLE plugin_kv; --",
      "a' OR '1'='1",
      "%",
      "_",
      std::string("nul\0inside", 10),
      std::string("\0", 1),
      "\xff\xfe not utf-8 \xc3\x28",
      "emoji \xF0\x9F\x94\x91",
      std::string(1024, 'k'),
      " leading and trailing ",
  };
  for (size_t i = 0; i < keys.size(); ++i) store.put(keys[i], "value " + std::to_string(i), 0ms);
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(store.get(keys[i]), "value " + std::to_string(i)) << "key #" << i;
    EXPECT_EQ(other.get(keys[i]), std::nullopt) << "key #" << i;
  }
  // Keys that differ only after a NUL byte are different keys.
  EXPECT_EQ(store.get("nul"), std::nullopt);
  EXPECT_EQ(store.get(""), std::nullopt);
  EXPECT_EQ(store.get("a"), std::nullopt);
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM plugin_kv").front().integer(0),
            static_cast<int64_t>(keys.size()));
}

TEST_F(PluginStoreTest, ValuesComeBackByteForByte) {
  PluginStore store(db_, "p");
  std::string allBytes;
  for (int i = 0; i < 256; ++i) allBytes += static_cast<char>(i);
  const std::vector<std::string> values{
      std::string("before\0after", 12), std::string("\0\0\0", 3),        allBytes,
      "\xff\xfe\xfd invalid UTF-8",     "'); DELETE FROM plugin_kv; --",
  };
  for (size_t i = 0; i < values.size(); ++i) store.put("v" + std::to_string(i), values[i], 0ms);
  for (size_t i = 0; i < values.size(); ++i) {
    const auto got = store.get("v" + std::to_string(i));
    ASSERT_TRUE(got.has_value()) << "value #" << i;
    EXPECT_EQ(got->size(), values[i].size()) << "value #" << i;
    EXPECT_EQ(*got, values[i]) << "value #" << i;
  }
}

TEST_F(PluginStoreTest, HugeValuesRoundTrip) {
  PluginStore store(db_, "p");
  std::string huge(8 * 1024 * 1024, '\0');
  for (size_t i = 0; i < huge.size(); ++i) huge[i] = static_cast<char>((i * 131) & 0xFF);
  store.put("huge", huge, 0ms);
  const auto got = store.get("huge");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), huge.size());
  EXPECT_TRUE(*got == huge);
  // And a huge key.
  const std::string hugeKey(256 * 1024, 'K');
  store.put(hugeKey, "x", 0ms);
  EXPECT_EQ(store.get(hugeKey), "x");
}

}  // namespace
}  // namespace portcullis::storage
