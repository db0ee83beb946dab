#pragma once
// Grants — a user's permission for one client — and what hangs off them:
// authorization codes (single use, short-lived; reuse revokes the grant),
// refresh tokens (rotated on every use; reuse revokes the grant, which ends
// the whole family), and remembered consent. Codes and refresh tokens are
// stored as SHA-256 hashes only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/storage/database.hpp"

namespace portcullis::oauth {

struct Grant {
  std::string id;
  std::string userId;  // empty for client_credentials
  std::string clientId;
  std::string scope;
  std::string resource;
  int64_t createdAt = 0;
  bool revoked = false;
};

// Why a code or refresh token was refused, in RFC 6749 terms.
struct TokenFailure {
  std::string error = "invalid_grant";
  std::string description;
};

struct CodeRedemption {
  std::optional<Grant> grant;
  TokenFailure failure;
};

struct PendingCode {
  std::string grantId;
  std::string clientId;
  std::string redirectUri;
  std::string codeChallenge;
};

class GrantStore {
 public:
  explicit GrantStore(storage::Database& db) : db_(db) {}

  Grant createGrant(const std::string& userId, const std::string& clientId, const std::string& scope,
                    const std::string& resource);
  std::optional<Grant> find(const std::string& grantId);

  // A fresh code bound to the grant, client, redirect URI and PKCE challenge.
  std::string issueCode(const PendingCode& code, std::chrono::milliseconds ttl);
  // Checks and spends a code. A code used twice revokes its grant.
  CodeRedemption redeemCode(const std::string& code, const std::string& clientId, const std::string& redirectUri,
                            const std::string& codeVerifier);

  std::string issueRefreshToken(const std::string& grantId, std::chrono::milliseconds ttl);
  // Spends a refresh token and issues its successor, and records the use of
  // the grant (as touch() does). A token used twice revokes the grant it
  // belongs to. `alsoOnSuccess`, when given, runs in the same transaction
  // once the token is rotated, so that the caller's own bookkeeping (the
  // client's last use) costs no commit of its own.
  struct Rotation {
    std::optional<Grant> grant;
    std::string refreshToken;
    TokenFailure failure;
  };
  Rotation rotateRefreshToken(const std::string& token, const std::string& clientId, std::chrono::milliseconds ttl,
                              const std::function<void(storage::Connection&)>& alsoOnSuccess = {});

  // RFC 7009: the grant a refresh token belongs to, if it is the client's.
  std::optional<std::string> grantOfRefreshToken(const std::string& token, const std::string& clientId);

  void revokeGrant(const std::string& grantId);
  void touch(const std::string& grantId);

  void rememberConsent(const std::string& userId, const std::string& clientId, const std::string& scope,
                       std::chrono::milliseconds ttl);
  // Whether remembered consent covers every scope asked for.
  bool consentCovers(const std::string& userId, const std::string& clientId, const std::vector<std::string>& scopes);

  // Distinct users and scopes with live grants for a client (for listings).
  std::vector<std::string> usersOfClient(const std::string& clientId);
  std::vector<std::string> scopesOfClient(const std::string& clientId);

  // Drops expired codes and refresh tokens.
  void sweep();

  // RFC 7636 S256: base64url(sha256(verifier)) == challenge.
  static bool verifierMatches(const std::string& verifier, const std::string& challenge);

 private:
  storage::Database& db_;
};

}  // namespace portcullis::oauth
