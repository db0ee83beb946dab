// JSON Web Tokens (core/oauth/jwt.hpp): ES256 and RS256 keys, signing and
// verifying, RFC 7638 thumbprints as key ids, public JWKs another party can
// verify with, and strict decoding of the compact form.

#include "core/oauth/jwt.hpp"

#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "tests/unit/oauth/oauth_fixture.hpp"

namespace portcullis::oauth {
namespace {

using namespace std::chrono_literals;

using testing::b64;
using testing::forgeJwt;

// RFC 7638 computed here, independently of the implementation.
std::string thumbprint(const json::ObjectPtr& jwk) {
  const std::string kty = *json::getString(jwk, "kty");
  std::string canonical;
  if (kty == "EC") {
    canonical = "{\"crv\":\"" + *json::getString(jwk, "crv") + "\",\"kty\":\"EC\",\"x\":\"" +
                *json::getString(jwk, "x") + "\",\"y\":\"" + *json::getString(jwk, "y") + "\"}";
  } else {
    canonical = "{\"e\":\"" + *json::getString(jwk, "e") + "\",\"kty\":\"RSA\",\"n\":\"" +
                *json::getString(jwk, "n") + "\"}";
  }
  return b64(common::sha256(canonical));
}

// An OpenSSL public key built from a JWK alone, the way a client uses the JWKS.
using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
Pkey publicKeyFromJwk(const json::ObjectPtr& jwk) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  const std::string kty = *json::getString(jwk, "kty");
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  std::string point;
  if (kty == "EC") {
    point = std::string("\x04", 1) + *common::base64UrlDecode(*json::getString(jwk, "x")) +
            *common::base64UrlDecode(*json::getString(jwk, "y"));
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  } else {
    const std::string nb = *common::base64UrlDecode(*json::getString(jwk, "n"));
    const std::string eb = *common::base64UrlDecode(*json::getString(jwk, "e"));
    n = BN_bin2bn(reinterpret_cast<const unsigned char*>(nb.data()), static_cast<int>(nb.size()),
                  nullptr);
    e = BN_bin2bn(reinterpret_cast<const unsigned char*>(eb.data()), static_cast<int>(eb.size()),
                  nullptr);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, kty == "EC" ? "EC" : "RSA", nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return Pkey(key, &EVP_PKEY_free);
}

// Verifies a JWS signature with OpenSSL and nothing from the implementation.
bool independentlyVerifies(const json::ObjectPtr& jwk, const std::string& input,
                           const std::string& signature) {
  Pkey key = publicKeyFromJwk(jwk);
  if (!key) return false;
  std::string der = signature;
  if (*json::getString(jwk, "kty") == "EC") {
    if (signature.size() != 64) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(
        sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 32, nullptr),
        BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr));
    unsigned char* out = nullptr;
    const int length = i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(length));
    OPENSSL_free(out);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

json::ObjectPtr somePayload() {
  json::ObjectPtr p = json::makeObject();
  p->set("sub", std::string("u_1"));
  p->set("exp", static_cast<int64_t>(4'000'000'000));
  return p;
}

// One key per algorithm for the whole suite: RSA generation is slow.
std::shared_ptr<SigningKey> key(const std::string& alg) {
  static std::shared_ptr<SigningKey> es = SigningKey::generate("ES256");
  static std::shared_ptr<SigningKey> rs = SigningKey::generate("RS256");
  return alg == "ES256" ? es : rs;
}

class SigningKeyTest : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Algorithms, SigningKeyTest, ::testing::Values("ES256", "RS256"));

TEST_P(SigningKeyTest, SignsAndVerifies) {
  auto k = key(GetParam());
  EXPECT_EQ(k->alg(), GetParam());
  const std::string sig = k->sign("header.payload");
  EXPECT_TRUE(k->verify("header.payload", sig));
  EXPECT_FALSE(k->verify("header.payloaD", sig));
  std::string bad = sig;
  bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 1);
  EXPECT_FALSE(k->verify("header.payload", bad));
  EXPECT_FALSE(k->verify("header.payload", ""));
  EXPECT_FALSE(k->verify("header.payload", sig.substr(1)));
  EXPECT_FALSE(k->verify("header.payload", sig + "x"));
}

TEST_P(SigningKeyTest, Es256SignaturesAreRawRAndS) {
  auto k = key(GetParam());
  const std::string sig = k->sign("x");
  EXPECT_EQ(sig.size(), GetParam() == "ES256" ? 64u : 256u);
}

TEST_P(SigningKeyTest, AnotherKeyOfTheSameKindDoesNotVerify) {
  auto other = SigningKey::generate(GetParam());
  const std::string sig = key(GetParam())->sign("input");
  EXPECT_FALSE(other->verify("input", sig));
  EXPECT_NE(other->kid(), key(GetParam())->kid());
}

TEST_P(SigningKeyTest, KidIsTheRfc7638Thumbprint) {
  auto k = key(GetParam());
  const json::ObjectPtr jwk = k->publicJwk();
  EXPECT_EQ(k->kid(), thumbprint(jwk));
  EXPECT_EQ(json::getString(jwk, "kid"), k->kid());
  EXPECT_EQ(json::getString(jwk, "alg"), GetParam());
  EXPECT_EQ(json::getString(jwk, "use"), std::string("sig"));
  EXPECT_EQ(k->kid().size(), 43u);  // base64url of 32 bytes
}

TEST(Rfc7638, TheHelperMatchesTheRfcExample) {
  // RFC 7638 section 3.1.
  json::ObjectPtr jwk = json::makeObject();
  jwk->set("kty", std::string("RSA"));
  jwk->set(
      "n",
      std::string(
          "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
          "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
          "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
          "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
          "kEgU8awapJzKnqDKgw"));
  jwk->set("e", std::string("AQAB"));
  EXPECT_EQ(thumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_P(SigningKeyTest, ThePublicJwkVerifiesTokensWithoutTheImplementation) {
  auto k = key(GetParam());
  const std::string token = signJwt(*k, "at+jwt", somePayload());
  const size_t dot = token.rfind('.');
  const auto signature = common::base64UrlDecode(token.substr(dot + 1));
  ASSERT_TRUE(signature.has_value());
  EXPECT_TRUE(independentlyVerifies(k->publicJwk(), token.substr(0, dot), *signature));
  EXPECT_FALSE(independentlyVerifies(k->publicJwk(), token.substr(0, dot) + "x", *signature));
}

TEST(SigningKey, EcCoordinatesArePaddedTo32Bytes) {
  // A coordinate with a leading zero byte happens once in 256 keys: make many.
  for (int i = 0; i < 600; ++i) {
    auto k = SigningKey::generate("ES256");
    const auto jwk = k->publicJwk();
    ASSERT_EQ(common::base64UrlDecode(*json::getString(jwk, "x"))->size(), 32u);
    ASSERT_EQ(common::base64UrlDecode(*json::getString(jwk, "y"))->size(), 32u);
  }
}

TEST_P(SigningKeyTest, PemRoundTripKeepsTheKid) {
  auto k = key(GetParam());
  auto again = SigningKey::fromPem(GetParam(), k->privatePem());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->kid(), k->kid());
  EXPECT_TRUE(again->verify("m", k->sign("m")));
}

TEST(SigningKey, FromPemRefusesTheWrongAlgorithmOrGarbage) {
  EXPECT_EQ(SigningKey::fromPem("RS256", key("ES256")->privatePem()), nullptr);
  EXPECT_EQ(SigningKey::fromPem("ES256", key("RS256")->privatePem()), nullptr);
  EXPECT_EQ(SigningKey::fromPem("HS256", key("ES256")->privatePem()), nullptr);
  EXPECT_EQ(SigningKey::fromPem("ES256",
                                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            nullptr);
  EXPECT_EQ(SigningKey::fromPem("ES256", ""), nullptr);
  // An EC key on another curve is not an ES256 key.
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(p384, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, p384, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  EVP_PKEY_free(p384);
  EXPECT_EQ(SigningKey::fromPem("ES256", pem), nullptr);
}

TEST(SigningKey, GenerateRefusesOtherAlgorithms) {
  EXPECT_THROW(SigningKey::generate("HS256"), std::invalid_argument);
  EXPECT_THROW(SigningKey::generate("none"), std::invalid_argument);
  EXPECT_THROW(SigningKey::generate(""), std::invalid_argument);
}

// ---- signJwt / decodeJwt -------------------------------------------------------------

TEST_P(SigningKeyTest, SignedTokensDecodeWithTheirHeader) {
  auto k = key(GetParam());
  const std::string token = signJwt(*k, "at+jwt", somePayload());
  auto decoded = decodeJwt(token);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(json::getString(decoded->header, "alg"), GetParam());
  EXPECT_EQ(json::getString(decoded->header, "typ"), std::string("at+jwt"));
  EXPECT_EQ(json::getString(decoded->header, "kid"), k->kid());
  EXPECT_EQ(json::getString(decoded->payload, "sub"), std::string("u_1"));
  EXPECT_EQ(decoded->signingInput, token.substr(0, token.rfind('.')));
  EXPECT_TRUE(k->verify(decoded->signingInput, decoded->signature));
}

class DecodeJwt : public ::testing::Test {
 protected:
  const std::string header_ = b64(R"({"alg":"ES256","typ":"at+jwt","kid":"k"})");
  const std::string payload_ = b64(R"({"sub":"u"})");
  const std::string sig_ = b64(std::string(64, '\x01'));
  std::string good() const { return header_ + "." + payload_ + "." + sig_; }
};

TEST_F(DecodeJwt, AcceptsAWellFormedToken) { EXPECT_TRUE(decodeJwt(good()).has_value()); }

TEST_F(DecodeJwt, RefusesTheWrongNumberOfParts) {
  EXPECT_FALSE(decodeJwt(header_ + "." + payload_));
  EXPECT_FALSE(decodeJwt(header_));
  EXPECT_FALSE(decodeJwt(good() + "." + sig_));
  EXPECT_FALSE(decodeJwt(good() + "."));
  EXPECT_FALSE(decodeJwt("." + good()));
  EXPECT_FALSE(decodeJwt(good() + ".x.y"));
  EXPECT_FALSE(decodeJwt(".."));
  EXPECT_FALSE(decodeJwt("."));
  EXPECT_FALSE(decodeJwt(""));
}

TEST_F(DecodeJwt, RefusesEmptyParts) {
  EXPECT_FALSE(decodeJwt("." + payload_ + "." + sig_));
  EXPECT_FALSE(decodeJwt(header_ + ".." + sig_));
  EXPECT_FALSE(decodeJwt(header_ + "." + payload_ + "."));  // alg none style: no signature
}

TEST_F(DecodeJwt, RefusesPaddingAndNonUrlAlphabets) {
  EXPECT_FALSE(decodeJwt(good() + "="));
  EXPECT_FALSE(decodeJwt(good() + "=="));
  EXPECT_FALSE(decodeJwt(header_ + "=." + payload_ + "." + sig_));
  std::string plus = good();
  plus[plus.size() - 2] = '+';
  EXPECT_FALSE(decodeJwt(plus));
  std::string slash = good();
  slash[slash.size() - 2] = '/';
  EXPECT_FALSE(decodeJwt(slash));
}

TEST_F(DecodeJwt, RefusesWhitespaceAndControlCharacters) {
  EXPECT_FALSE(decodeJwt(" " + good()));
  EXPECT_FALSE(decodeJwt(good() + " "));
  EXPECT_FALSE(decodeJwt(good() + "\n"));
  EXPECT_FALSE(decodeJwt(header_ + ". " + payload_ + "." + sig_));
  EXPECT_FALSE(decodeJwt(std::string(good()).insert(5, 1, '\0')));
  EXPECT_FALSE(decodeJwt(header_ + "\t." + payload_ + "." + sig_));
}

TEST_F(DecodeJwt, RefusesNonCanonicalBase64Url) {
  // "AQ" is the one spelling of 0x01; "AR" carries stray bits.
  EXPECT_TRUE(decodeJwt(header_ + "." + payload_ + ".AQ"));
  EXPECT_FALSE(decodeJwt(header_ + "." + payload_ + ".AR"));
  EXPECT_FALSE(decodeJwt(header_ + "." + payload_ + ".A"));  // length 1 mod 4
}

TEST_F(DecodeJwt, RefusesHeadersAndPayloadsThatAreNotJsonObjects) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("[]"), std::string("\"x\""), std::string("1"), std::string("null"),
           std::string("{"), std::string("{\"a\":1}x"), std::string(""), std::string("\xff\xfe"),
           std::string("{\"a\":1,\"a\":2}"), std::string("{\"a\":\"\0\"}", 9)}) {
    EXPECT_FALSE(decodeJwt(b64(bad) + "." + payload_ + "." + sig_)) << bad;
    EXPECT_FALSE(decodeJwt(header_ + "." + b64(bad) + "." + sig_)) << bad;
  }
}

TEST_F(DecodeJwt, RefusesDeeplyNestedJson) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 40; ++i) deep += "}";
  EXPECT_FALSE(decodeJwt(header_ + "." + b64(deep) + "." + sig_));
}

TEST_F(DecodeJwt, RefusesHugeInput) {
  const std::string bigPayload = b64("{\"pad\":\"" + std::string(10'000, 'x') + "\"}");
  EXPECT_FALSE(decodeJwt(header_ + "." + bigPayload + "." + sig_));
  EXPECT_FALSE(decodeJwt(std::string(1 << 20, 'A')));
  EXPECT_FALSE(decodeJwt(std::string(1 << 20, '.')));
  // Right at the limit is fine; one more is not.
  const std::string t = good();
  EXPECT_TRUE(decodeJwt(t, t.size()));
  EXPECT_FALSE(decodeJwt(t, t.size() - 1));
}

TEST(DecodeJwtFuzz, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  std::string alphabet = "ABCxyz019-_.=+/ \x00\xff{}\"";
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 80);
    for (int j = 0; j < n; ++j) s += alphabet[rng() % alphabet.size()];
    (void)decodeJwt(s);
  }
  SUCCEED();
}

}  // namespace
}  // namespace portcullis::oauth
