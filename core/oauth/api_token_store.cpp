#include "core/oauth/api_token_store.hpp"

#include "core/common/crypto.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/change_log.hpp"

namespace portcullis::oauth {

using storage::Value;

bool ApiTokenStore::looksLikeApiToken(const std::string& token) {
  return common::startsWith(token, kApiTokenPrefix) && token.size() > 20 && token.size() < 200;
}

std::string ApiTokenStore::create(const std::string& userId, const std::string& scope, std::chrono::milliseconds ttl,
                                  const std::string& name, ApiToken& record) {
  const std::string token = kApiTokenPrefix + common::randomToken(32);
  record.id = "tok_" + common::randomToken(9);
  record.name = name;
  record.userId = userId;
  record.scope = scope;
  record.createdAt = storage::nowMillis();
  record.expiresAt = record.createdAt + ttl.count();
  db_.execute("INSERT INTO api_tokens (id, name, user_id, scope, token_hash, created_at, expires_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              {Value(record.id), name.empty() ? Value() : Value(name), Value(userId), Value(scope),
               Value(common::sha256Hex(token)), Value(record.createdAt), Value(record.expiresAt)});
  return token;
}

std::vector<ApiToken> ApiTokenStore::list() {
  std::vector<ApiToken> out;
  for (const auto& r : db_.query(
           "SELECT t.id, t.name, t.user_id, u.username, t.scope, t.created_at, t.expires_at, t.last_used_at, "
           "t.revoked_at FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id ORDER BY t.created_at")) {
    ApiToken t;
    t.id = r.text(0);
    t.name = r.text(1);
    t.userId = r.text(2);
    t.username = r.text(3);
    t.scope = r.text(4);
    t.createdAt = r.integer(5);
    t.expiresAt = r.integer(6);
    t.lastUsedAt = r.optionalInteger(7);
    t.revoked = !r.isNull(8);
    out.push_back(std::move(t));
  }
  return out;
}

bool ApiTokenStore::revoke(const std::string& id) {
  bool found = false;
  db_.write([&](storage::Connection& c) {
    found = c.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                      {Value(storage::nowMillis()), Value(id)}) > 0;
    if (found) recordChange(c, change_kind::kApiToken, id);
  });
  return found;
}

std::optional<ApiToken> ApiTokenStore::find(const std::string& token) {
  if (!looksLikeApiToken(token)) return std::nullopt;
  const auto rows = db_.query(
      "SELECT id, name, user_id, scope, created_at, expires_at, revoked_at FROM api_tokens WHERE token_hash = ?",
      {Value(common::sha256Hex(token))});
  if (rows.empty()) return std::nullopt;
  const auto& r = rows.front();
  ApiToken t;
  t.id = r.text(0);
  t.name = r.text(1);
  t.userId = r.text(2);
  t.scope = r.text(3);
  t.createdAt = r.integer(4);
  t.expiresAt = r.integer(5);
  t.revoked = !r.isNull(6);
  if (t.revoked || t.expiresAt <= storage::nowMillis()) return std::nullopt;
  return t;
}

void ApiTokenStore::touch(const std::string& id) {
  db_.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {Value(storage::nowMillis()), Value(id)});
}

}  // namespace portcullis::oauth
