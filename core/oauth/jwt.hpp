#pragma once
// JSON Web Tokens (RFC 7515/7519) for access tokens, signed with ES256 or
// RS256 on OpenSSL. Hand-written rather than Poco::JWT (docs/adr/0006):
// Poco 1.11's Signer accepts HS256 unless each caller opts out, parses the
// compact form loosely, compares HMACs in variable time and knows nothing of
// key ids or JWKS. Here the compact form is checked strictly before
// anything is decoded, and the algorithm is pinned to the key's.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "core/common/json.hpp"

namespace portcullis::oauth {

namespace json = common::json;

// An asymmetric signing key and its identity.
class SigningKey {
 public:
  // Generates a fresh key for "ES256" (P-256) or "RS256" (2048-bit RSA).
  static std::shared_ptr<SigningKey> generate(const std::string& alg);
  // From a PEM private key; nullptr when it does not parse or does not fit alg.
  static std::shared_ptr<SigningKey> fromPem(const std::string& alg, const std::string& pem);

  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const std::string& alg() const { return alg_; }
  const std::string& kid() const { return kid_; }  // RFC 7638 thumbprint
  std::string privatePem() const;
  json::ObjectPtr publicJwk() const;

  std::string sign(std::string_view input) const;  // the JWS signature bytes
  bool verify(std::string_view input, std::string_view signature) const;

 private:
  SigningKey(std::string alg, EVP_PKEY* key);
  std::string alg_;
  EVP_PKEY* key_;
  std::string kid_;
};

struct DecodedJwt {
  json::ObjectPtr header;
  json::ObjectPtr payload;
  std::string signingInput;  // "<header>.<payload>" as received
  std::string signature;     // decoded bytes
};

// Parses the compact form strictly: three non-empty parts of canonical
// unpadded base64url, header and payload JSON objects. nullopt otherwise.
std::optional<DecodedJwt> decodeJwt(std::string_view token, size_t maxLength = 8192);

// "<header>.<payload>.<signature>" with alg, typ and kid in the header.
std::string signJwt(const SigningKey& key, const std::string& typ, const json::ObjectPtr& payload);

}  // namespace portcullis::oauth
