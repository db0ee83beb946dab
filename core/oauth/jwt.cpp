#include "core/oauth/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "core/common/crypto.hpp"
#include "core/common/text.hpp"

namespace portcullis::oauth {

namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string bigEndian(const BIGNUM* n, size_t width) {
  std::string out(width, '\0');
  if (BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(width)) < 0) {
    throw std::runtime_error("number too large for its field");
  }
  return out;
}

std::string bnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* n = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &n) != 1) throw std::runtime_error("key parameter unavailable");
  std::string out(static_cast<size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(n);
  return out;
}

bool fitsAlg(const std::string& alg, EVP_PKEY* key) {
  if (alg == "ES256") {
    char group[64] = {0};
    size_t len = 0;
    return EVP_PKEY_is_a(key, "EC") &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1 &&
           std::string(group) == "prime256v1";
  }
  if (alg == "RS256") return EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048;
  return false;
}

bool base64UrlChars(std::string_view s) {
  for (unsigned char c : s) {
    if (!(std::isalnum(c) != 0 || c == '-' || c == '_')) return false;
  }
  return !s.empty();
}

}  // namespace

SigningKey::SigningKey(std::string alg, EVP_PKEY* key) : alg_(std::move(alg)), key_(key) {
  // RFC 7638: the SHA-256 of the required members in lexicographic order.
  const json::ObjectPtr jwk = publicJwk();
  std::string canonical;
  if (alg_ == "ES256") {
    canonical = R"({"crv":"P-256","kty":"EC","x":")" + *json::getString(jwk, "x") + R"(","y":")" +
                *json::getString(jwk, "y") + R"("})";
  } else {
    canonical = R"({"e":")" + *json::getString(jwk, "e") + R"(","kty":"RSA","n":")" + *json::getString(jwk, "n") +
                R"("})";
  }
  kid_ = common::base64UrlEncode(common::sha256(canonical));
}

SigningKey::~SigningKey() { EVP_PKEY_free(key_); }

std::shared_ptr<SigningKey> SigningKey::generate(const std::string& alg) {
  EVP_PKEY* key = nullptr;
  if (alg == "ES256") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (alg == "RS256") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else {
    throw std::invalid_argument("unsupported signing algorithm " + alg);
  }
  if (key == nullptr) throw std::runtime_error("key generation failed");
  return std::shared_ptr<SigningKey>(new SigningKey(alg, key));
}

std::shared_ptr<SigningKey> SigningKey::fromPem(const std::string& alg, const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return nullptr;
  if (!fitsAlg(alg, key)) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<SigningKey>(new SigningKey(alg, key));
}

std::string SigningKey::privatePem() const {
  Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot export the key");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

json::ObjectPtr SigningKey::publicJwk() const {
  json::ObjectPtr jwk = json::makeObject();
  if (alg_ == "ES256") {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    if (x == nullptr || y == nullptr) {
      BN_free(x);
      BN_free(y);
      throw std::runtime_error("EC key without a public point");
    }
    jwk->set("kty", std::string("EC"));
    jwk->set("crv", std::string("P-256"));
    jwk->set("x", common::base64UrlEncode(bigEndian(x, 32)));
    jwk->set("y", common::base64UrlEncode(bigEndian(y, 32)));
    BN_free(x);
    BN_free(y);
  } else {
    jwk->set("kty", std::string("RSA"));
    jwk->set("n", common::base64UrlEncode(bnParam(key_, OSSL_PKEY_PARAM_RSA_N)));
    jwk->set("e", common::base64UrlEncode(bnParam(key_, OSSL_PKEY_PARAM_RSA_E)));
  }
  if (!kid_.empty()) jwk->set("kid", kid_);
  jwk->set("alg", alg_);
  jwk->set("use", std::string("sig"));
  return jwk;
}

std::string SigningKey::sign(std::string_view input) const {
  MdContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t length = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    throw std::runtime_error("signing failed");
  }
  std::string der(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("signing failed");
  }
  der.resize(length);
  if (alg_ != "ES256") return der;
  // JWS wants r || s (32 bytes each), not DER.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) throw std::runtime_error("signing failed");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string raw = bigEndian(r, 32) + bigEndian(s, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

bool SigningKey::verify(std::string_view input, std::string_view signature) const {
  std::string der;
  if (alg_ == "ES256") {
    if (signature.size() != 64) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr);
    ECDSA_SIG_set0(sig, r, s);
    unsigned char* out = nullptr;
    const int length = i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    if (length <= 0) return false;
    der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(length));
    OPENSSL_free(out);
  } else {
    der.assign(signature);
  }
  MdContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

std::optional<DecodedJwt> decodeJwt(std::string_view token, size_t maxLength) {
  if (token.empty() || token.size() > maxLength) return std::nullopt;
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view h = token.substr(0, first);
  const std::string_view p = token.substr(first + 1, second - first - 1);
  const std::string_view s = token.substr(second + 1);
  if (!base64UrlChars(h) || !base64UrlChars(p) || !base64UrlChars(s)) return std::nullopt;
  // Strict decoding rejects stray bits, so each token has one spelling.
  auto header = common::base64UrlDecode(h);
  auto payload = common::base64UrlDecode(p);
  auto signature = common::base64UrlDecode(s);
  if (!header || !payload || !signature) return std::nullopt;
  DecodedJwt out;
  try {
    out.header = json::parseObject(*header, {16});
    out.payload = json::parseObject(*payload, {16});
  } catch (const json::ParseError&) {
    return std::nullopt;
  }
  out.signingInput = std::string(token.substr(0, second));
  out.signature = std::move(*signature);
  return out;
}

std::string signJwt(const SigningKey& key, const std::string& typ, const json::ObjectPtr& payload) {
  json::ObjectPtr header = json::makeObject();
  header->set("alg", key.alg());
  header->set("typ", typ);
  header->set("kid", key.kid());
  const std::string input =
      common::base64UrlEncode(json::stringify(header)) + "." + common::base64UrlEncode(json::stringify(payload));
  return input + "." + common::base64UrlEncode(key.sign(input));
}

}  // namespace portcullis::oauth
