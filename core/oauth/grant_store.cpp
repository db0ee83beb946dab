#include "core/oauth/grant_store.hpp"

#include <algorithm>
#include <set>

#include "core/common/crypto.hpp"
#include "core/common/log.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/change_log.hpp"
#include "core/oauth/scopes.hpp"

namespace portcullis::oauth {

using storage::Value;

namespace {

void revokeIn(storage::Connection& c, const std::string& grantId) {
  c.execute("UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            {Value(storage::nowMillis()), Value(grantId)});
  c.execute("DELETE FROM refresh_tokens WHERE grant_id = ?", {Value(grantId)});
  recordChange(c, change_kind::kGrant, grantId);
}

Grant grantFrom(const storage::Row& r) {
  Grant g;
  g.id = r.text(0);
  g.userId = r.text(1);
  g.clientId = r.text(2);
  g.scope = r.text(3);
  g.resource = r.text(4);
  g.createdAt = r.integer(5);
  g.revoked = !r.isNull(6);
  return g;
}

constexpr const char* kGrantColumns = "id, user_id, client_id, scope, resource, created_at, revoked_at";

bool validVerifier(const std::string& v) {
  // RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~].
  return v.size() >= 43 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
         });
}

}  // namespace

bool GrantStore::verifierMatches(const std::string& verifier, const std::string& challenge) {
  return validVerifier(verifier) &&
         common::constantTimeEquals(common::base64UrlEncode(common::sha256(verifier)), challenge);
}

Grant GrantStore::createGrant(const std::string& userId, const std::string& clientId, const std::string& scope,
                              const std::string& resource) {
  Grant g{"g_" + common::randomToken(18), userId, clientId, scope, resource, storage::nowMillis(), false};
  db_.execute("INSERT INTO grants (id, user_id, client_id, scope, resource, created_at) VALUES (?, ?, ?, ?, ?, ?)",
              {Value(g.id), Value(userId), Value(clientId), Value(scope), Value(resource), Value(g.createdAt)});
  return g;
}

std::optional<Grant> GrantStore::find(const std::string& grantId) {
  const auto rows = db_.query(std::string("SELECT ") + kGrantColumns + " FROM grants WHERE id = ?", {Value(grantId)});
  if (rows.empty()) return std::nullopt;
  return grantFrom(rows.front());
}

std::string GrantStore::issueCode(const PendingCode& code, std::chrono::milliseconds ttl) {
  const std::string value = common::randomToken(32);
  db_.execute("INSERT INTO auth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, expires_at) "
              "VALUES (?, ?, ?, ?, ?, ?)",
              {Value(common::sha256Hex(value)), Value(code.grantId), Value(code.clientId), Value(code.redirectUri),
               Value(code.codeChallenge), Value(storage::nowMillis() + ttl.count())});
  return value;
}

CodeRedemption GrantStore::redeemCode(const std::string& code, const std::string& clientId,
                                      const std::string& redirectUri, const std::string& codeVerifier) {
  CodeRedemption out;
  if (code.empty() || code.size() > 256) {
    out.failure.description = "the authorization code is not valid";
    return out;
  }
  db_.write([&](storage::Connection& c) {
    const auto rows = c.query(
        "SELECT grant_id, client_id, redirect_uri, code_challenge, expires_at, used_at FROM auth_codes "
        "WHERE code_hash = ?",
        {Value(common::sha256Hex(code))});
    if (rows.empty()) {
      out.failure.description = "the authorization code is not valid";
      return;
    }
    const auto& r = rows.front();
    const std::string grantId = r.text(0);
    if (!r.isNull(5)) {
      // A code presented twice: whoever holds it is not to be trusted, and
      // neither is what the first redemption issued.
      revokeIn(c, grantId);
      common::logger("oauth").warning("authorization code reused; grant %s revoked", grantId);
      out.failure.description = "the authorization code was already used";
      return;
    }
    // Spent now, whatever the outcome: a wrong verifier burns the code.
    c.execute("UPDATE auth_codes SET used_at = ? WHERE code_hash = ?",
              {Value(storage::nowMillis()), Value(common::sha256Hex(code))});
    if (r.text(1) != clientId) {
      out.failure.description = "the authorization code was issued to another client";
      return;
    }
    if (r.integer(4) < storage::nowMillis()) {
      out.failure.description = "the authorization code has expired";
      return;
    }
    if (r.text(2) != redirectUri) {
      out.failure.description = "redirect_uri does not match the authorization request";
      return;
    }
    if (!verifierMatches(codeVerifier, r.text(3))) {
      out.failure.description = "the code verifier does not match the code challenge";
      return;
    }
    const auto grants = c.query(std::string("SELECT ") + kGrantColumns + " FROM grants WHERE id = ?", {Value(grantId)});
    if (grants.empty() || !grants.front().isNull(6)) {
      out.failure.description = "the grant behind this code was revoked";
      return;
    }
    out.grant = grantFrom(grants.front());
  });
  return out;
}

std::string GrantStore::issueRefreshToken(const std::string& grantId, std::chrono::milliseconds ttl) {
  const std::string value = common::randomToken(32);
  const int64_t now = storage::nowMillis();
  db_.execute("INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
              {Value(common::sha256Hex(value)), Value(grantId), Value(now), Value(now + ttl.count())});
  return value;
}

GrantStore::Rotation GrantStore::rotateRefreshToken(const std::string& token, const std::string& clientId,
                                                    std::chrono::milliseconds ttl,
                                                    const std::function<void(storage::Connection&)>& alsoOnSuccess) {
  Rotation out;
  if (token.empty() || token.size() > 256) {
    out.failure.description = "the refresh token is not valid";
    return out;
  }
  const std::string hash = common::sha256Hex(token);
  db_.write([&](storage::Connection& c) {
    const auto rows = c.query(
        "SELECT r.grant_id, r.expires_at, r.used_at, g.client_id, g.revoked_at FROM refresh_tokens r "
        "JOIN grants g ON g.id = r.grant_id WHERE r.token_hash = ?",
        {Value(hash)});
    if (rows.empty()) {
      out.failure.description = "the refresh token is not valid";
      return;
    }
    const auto& r = rows.front();
    const std::string grantId = r.text(0);
    if (r.text(3) != clientId) {
      out.failure.description = "the refresh token was issued to another client";
      return;
    }
    if (!r.isNull(2)) {
      revokeIn(c, grantId);
      common::logger("oauth").warning("refresh token reused; grant %s and its tokens revoked", grantId);
      out.failure.description = "the refresh token was already used";
      return;
    }
    if (!r.isNull(4)) {
      out.failure.description = "the grant was revoked";
      return;
    }
    if (r.integer(1) < storage::nowMillis()) {
      out.failure.description = "the refresh token has expired";
      return;
    }
    const int64_t now = storage::nowMillis();
    c.execute("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?", {Value(now), Value(hash)});
    out.refreshToken = common::randomToken(32);
    c.execute("INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
              {Value(common::sha256Hex(out.refreshToken)), Value(grantId), Value(now), Value(now + ttl.count())});
    c.execute("UPDATE grants SET last_used_at = ? WHERE id = ?", {Value(now), Value(grantId)});
    if (alsoOnSuccess) alsoOnSuccess(c);
    const auto grants = c.query(std::string("SELECT ") + kGrantColumns + " FROM grants WHERE id = ?", {Value(grantId)});
    out.grant = grantFrom(grants.front());
  });
  return out;
}

std::optional<std::string> GrantStore::grantOfRefreshToken(const std::string& token, const std::string& clientId) {
  const auto rows = db_.query(
      "SELECT r.grant_id FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id WHERE r.token_hash = ? AND "
      "g.client_id = ?",
      {Value(common::sha256Hex(token)), Value(clientId)});
  if (rows.empty()) return std::nullopt;
  return rows.front().text(0);
}

void GrantStore::revokeGrant(const std::string& grantId) {
  db_.write([&](storage::Connection& c) { revokeIn(c, grantId); });
}

void GrantStore::touch(const std::string& grantId) {
  db_.execute("UPDATE grants SET last_used_at = ? WHERE id = ?", {Value(storage::nowMillis()), Value(grantId)});
}

void GrantStore::rememberConsent(const std::string& userId, const std::string& clientId, const std::string& scope,
                                 std::chrono::milliseconds ttl) {
  const int64_t expires = storage::nowMillis() + ttl.count();
  db_.write([&](storage::Connection& c) {
    c.execute("DELETE FROM consents WHERE user_id = ? AND client_id = ?", {Value(userId), Value(clientId)});
    c.execute("INSERT INTO consents (user_id, client_id, scope, expires_at) VALUES (?, ?, ?, ?)",
              {Value(userId), Value(clientId), Value(scope), Value(expires)});
  });
}

bool GrantStore::consentCovers(const std::string& userId, const std::string& clientId,
                               const std::vector<std::string>& scopes) {
  const auto rows = db_.query("SELECT scope FROM consents WHERE user_id = ? AND client_id = ? AND expires_at > ?",
                              {Value(userId), Value(clientId), Value(storage::nowMillis())});
  if (rows.empty()) return false;
  const auto granted = splitScopes(rows.front().text(0));
  return std::all_of(scopes.begin(), scopes.end(), [&](const std::string& s) { return hasScope(granted, s); });
}

std::vector<std::string> GrantStore::usersOfClient(const std::string& clientId) {
  std::vector<std::string> out;
  for (const auto& row : db_.query(
           "SELECT DISTINCT u.username FROM grants g JOIN users u ON u.id = g.user_id WHERE g.client_id = ? AND "
           "g.revoked_at IS NULL ORDER BY u.username",
           {Value(clientId)})) {
    out.push_back(row.text(0));
  }
  return out;
}

std::vector<std::string> GrantStore::scopesOfClient(const std::string& clientId) {
  std::set<std::string> all;
  for (const auto& row :
       db_.query("SELECT DISTINCT scope FROM grants WHERE client_id = ? AND revoked_at IS NULL", {Value(clientId)})) {
    for (const auto& s : splitScopes(row.text(0))) all.insert(s);
  }
  return {all.begin(), all.end()};
}

void GrantStore::sweep() {
  const int64_t now = storage::nowMillis();
  db_.write([&](storage::Connection& c) {
    c.execute("DELETE FROM auth_codes WHERE expires_at < ?", {Value(now - 3'600'000)});
    c.execute("DELETE FROM refresh_tokens WHERE expires_at < ?", {Value(now)});
    c.execute("DELETE FROM consents WHERE expires_at < ?", {Value(now)});
    c.execute("DELETE FROM plugin_kv WHERE expires_at IS NOT NULL AND expires_at < ?", {Value(now)});
  });
}

}  // namespace portcullis::oauth
