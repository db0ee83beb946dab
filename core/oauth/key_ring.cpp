#include "core/oauth/key_ring.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/crypto.hpp"
#include "core/common/log.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/change_log.hpp"

namespace portcullis::oauth {

using storage::Value;

std::string loadSecretKey(const std::string& file, bool create) {
  if (const char* env = std::getenv("PORTCULLIS_SECRET_KEY"); env != nullptr && *env != '\0') {
    if (std::strlen(env) < 16) throw std::runtime_error("PORTCULLIS_SECRET_KEY must be at least 16 characters");
    return common::sha256(env);
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    if (!create) {
      throw std::runtime_error("no secret key: set PORTCULLIS_SECRET_KEY or provide " + file +
                               " (the one the server uses)");
    }
    if (fs::path(file).has_parent_path()) fs::create_directories(fs::path(file).parent_path(), ec);
    const mode_t old = umask(077);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    umask(old);
    if (!out) throw std::runtime_error("cannot create the secret key file " + file);
    out << common::randomToken(32) << "\n";
    out.close();
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    common::logger("oauth").warning(
        "created a new secret key in %s; keep it safe, or set PORTCULLIS_SECRET_KEY instead", file);
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the secret key file " + file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string secret(common::trim(text.str()));
  if (secret.size() < 16) throw std::runtime_error("the secret key in " + file + " is too short");
  return common::sha256(secret);
}

KeyRing::KeyRing(storage::Database& db, std::string secretKey, std::string alg, std::chrono::milliseconds tokenTtl)
    : db_(db), secret_(std::move(secretKey)), alg_(std::move(alg)), tokenTtl_(tokenTtl) {}

void KeyRing::load() {
  std::vector<Entry> loaded;
  for (const auto& row : db_.query(
           "SELECT kid, alg, private_key, created_at, retired_at FROM signing_keys "
           "ORDER BY (retired_at IS NULL) DESC, created_at DESC")) {  // the signing key first, even in a tie
    const std::string kid = row.text(0);
    auto pem = common::unseal(secret_, row.text(2), "signing-key:" + kid);
    if (!pem) {
      throw std::runtime_error("signing key " + kid + " cannot be decrypted: is this the right secret key?");
    }
    auto key = SigningKey::fromPem(row.text(1), *pem);
    if (!key) throw std::runtime_error("signing key " + kid + " is corrupt");
    loaded.push_back({key, row.integer(3), row.optionalInteger(4)});
  }
  const bool needFirst = loaded.empty() || loaded.front().retiredAt || loaded.front().key->alg() != alg_;
  {
    std::lock_guard lock(mutex_);
    keys_ = std::move(loaded);
  }
  if (needFirst) rotate();
}

std::shared_ptr<SigningKey> KeyRing::rotate() {
  auto key = SigningKey::generate(alg_);
  const int64_t now = storage::nowMillis();
  db_.write([&](storage::Connection& c) {
    c.execute("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL", {Value(now)});
    c.execute("INSERT INTO signing_keys (kid, alg, private_key, created_at) VALUES (?, ?, ?, ?)",
              {Value(key->kid()), Value(key->alg()),
               Value(common::seal(secret_, key->privatePem(), "signing-key:" + key->kid())), Value(now)});
    // Keys retired longer ago than a token lives sign nothing still valid.
    c.execute("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?",
              {Value(now - tokenTtl_.count() - 60'000)});
    recordChange(c, change_kind::kSigningKey, key->kid());
  });
  std::lock_guard lock(mutex_);
  for (auto& e : keys_) {
    if (!e.retiredAt) e.retiredAt = now;
  }
  keys_.insert(keys_.begin(), Entry{key, now, std::nullopt});
  common::logger("oauth").information("new signing key %s (%s)", key->kid(), key->alg());
  return key;
}

std::shared_ptr<SigningKey> KeyRing::current() const {
  std::lock_guard lock(mutex_);
  return keys_.empty() ? nullptr : keys_.front().key;
}

std::shared_ptr<SigningKey> KeyRing::byKid(const std::string& kid) const {
  const int64_t now = storage::nowMillis();
  std::lock_guard lock(mutex_);
  for (const auto& e : keys_) {
    if (e.key->kid() != kid) continue;
    // A retired key verifies only what it could have signed.
    if (e.retiredAt && *e.retiredAt + tokenTtl_.count() + 60'000 < now) return nullptr;
    return e.key;
  }
  return nullptr;
}

std::vector<KeyInfo> KeyRing::stored(storage::Database& db) {
  std::vector<KeyInfo> out;
  for (const auto& row : db.query("SELECT kid, alg, created_at, retired_at FROM signing_keys ORDER BY created_at DESC")) {
    out.push_back({row.text(0), row.text(1), row.integer(2), row.optionalInteger(3)});
  }
  return out;
}

std::vector<KeyInfo> KeyRing::list() const {
  std::lock_guard lock(mutex_);
  std::vector<KeyInfo> out;
  for (const auto& e : keys_) out.push_back({e.key->kid(), e.key->alg(), e.createdAt, e.retiredAt});
  return out;
}

json::ObjectPtr KeyRing::jwks() const {
  const int64_t now = storage::nowMillis();
  json::ArrayPtr keys = json::makeArray();
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : keys_) {
      if (e.retiredAt && *e.retiredAt + tokenTtl_.count() + 60'000 < now) continue;
      keys->add(e.key->publicJwk());
    }
  }
  json::ObjectPtr out = json::makeObject();
  out->set("keys", keys);
  return out;
}

}  // namespace portcullis::oauth
