// Hashing, MACs, constant-time comparison and AES-256-GCM sealing
// (core/common/crypto.hpp), which the OAuth stores build on: known answers,
// round trips, and every kind of tampering detected.

#include "core/common/crypto.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/common/text.hpp"

namespace portcullis::common {
namespace {

std::string hexOf(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

const std::string kKey = sha256("a key for sealing");  // 32 bytes

// ---- hashes and MACs ----------------------------------------------------------------

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32u);
  EXPECT_EQ(hexOf(sha256("abc")), sha256Hex("abc"));
}

TEST(Sha256, HashesEveryByteIncludingNul) {
  EXPECT_NE(sha256Hex(std::string("a\0b", 3)), sha256Hex("a"));
  EXPECT_NE(sha256Hex(std::string("a\0b", 3)), sha256Hex(std::string("a\0c", 3)));
}

TEST(HmacSha256, Rfc4231TestCases) {
  // Test case 1.
  EXPECT_EQ(hexOf(hmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2.
  EXPECT_EQ(hexOf(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size.
  EXPECT_EQ(hexOf(hmacSha256(std::string(131, '\xaa'),
                             "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(ConstantTimeEquals, ComparesWholeValues) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(constantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(constantTimeEquals("secret", ""));
  EXPECT_FALSE(constantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_TRUE(constantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
}

// ---- seal / unseal -------------------------------------------------------------------

TEST(Seal, RoundTripsAnyBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (const std::string& plain :
       std::vector<std::string>{std::string(), std::string("x"), std::string("hello, world"), all,
                                std::string(1 << 20, '\0')}) {
    const std::string sealed = seal(kKey, plain, "ctx");
    EXPECT_EQ(unseal(kKey, sealed, "ctx"), plain) << plain.size();
  }
}

TEST(Seal, OutputIsBase64UrlOfNonceCiphertextAndTag) {
  const std::string plain = "seventeen bytes!!";
  const std::string sealed = seal(kKey, plain, "");
  const auto raw = base64UrlDecode(sealed);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 12 + plain.size() + 16);
  EXPECT_EQ(raw->find(plain), std::string::npos) << "the plaintext is visible";
}

TEST(Seal, EverySealUsesAFreshNonce) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) seen.insert(seal(kKey, "same text", "ctx"));
  EXPECT_EQ(seen.size(), 50u);
}

TEST(Seal, RequiresA32ByteKey) {
  EXPECT_THROW(seal("short", "x", ""), std::invalid_argument);
  EXPECT_THROW(seal(std::string(33, 'k'), "x", ""), std::invalid_argument);
  const std::string sealed = seal(kKey, "x", "");
  EXPECT_EQ(unseal("short", sealed, ""), std::nullopt);
  EXPECT_EQ(unseal(std::string(64, 'k'), sealed, ""), std::nullopt);
}

TEST(Unseal, RefusesAnotherKey) {
  const std::string sealed = seal(kKey, "the signing key", "signing-key:abc");
  EXPECT_EQ(unseal(sha256("another key"), sealed, "signing-key:abc"), std::nullopt);
}

TEST(Unseal, RefusesAnotherContext) {
  const std::string sealed = seal(kKey, "the signing key", "signing-key:abc");
  EXPECT_EQ(unseal(kKey, sealed, "signing-key:abd"), std::nullopt);
  EXPECT_EQ(unseal(kKey, sealed, ""), std::nullopt);
  EXPECT_EQ(unseal(kKey, sealed, std::string("signing-key:abc\0", 16)), std::nullopt);
}

TEST(Unseal, DetectsAFlippedBitAnywhere) {
  const std::string sealed = seal(kKey, "attack at dawn", "ctx");
  const std::string raw = *base64UrlDecode(sealed);
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit : {0, 7}) {
      std::string tampered = raw;
      tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
      EXPECT_EQ(unseal(kKey, base64UrlEncode(tampered), "ctx"), std::nullopt)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(Unseal, DetectsTruncationAndExtension) {
  const std::string sealed = seal(kKey, "attack at dawn", "ctx");
  const std::string raw = *base64UrlDecode(sealed);
  for (size_t cut = 0; cut < raw.size(); ++cut) {
    EXPECT_EQ(unseal(kKey, base64UrlEncode(raw.substr(0, cut)), "ctx"), std::nullopt) << cut;
  }
  EXPECT_EQ(unseal(kKey, base64UrlEncode(raw + "x"), "ctx"), std::nullopt);
  EXPECT_EQ(unseal(kKey, base64UrlEncode("x" + raw), "ctx"), std::nullopt);
}

TEST(Unseal, RefusesWhatIsNotBase64Url) {
  const std::string sealed = seal(kKey, "attack at dawn", "ctx");
  EXPECT_EQ(unseal(kKey, sealed + "=", "ctx"), std::nullopt);
  EXPECT_EQ(unseal(kKey, sealed + " ", "ctx"), std::nullopt);
  EXPECT_EQ(unseal(kKey, "not sealed at all!", "ctx"), std::nullopt);
  EXPECT_EQ(unseal(kKey, "", "ctx"), std::nullopt);
}

TEST(Unseal, RefusesSwappedCiphertextsBetweenContexts) {
  // A value sealed for one row cannot be moved to another.
  const std::string a = seal(kKey, "key A", "signing-key:A");
  const std::string b = seal(kKey, "key B", "signing-key:B");
  EXPECT_EQ(unseal(kKey, a, "signing-key:B"), std::nullopt);
  EXPECT_EQ(unseal(kKey, b, "signing-key:A"), std::nullopt);
}

}  // namespace
}  // namespace portcullis::common
