#pragma once
// The signing keys of the authorization server: kept encrypted in the
// database (AES-256-GCM under the server's secret key), the newest one
// signs, retired ones stay in the JWKS until the tokens they signed expire.
// `portcullis keys rotate` adds a key; running servers notice through the
// change log.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/oauth/jwt.hpp"
#include "core/storage/database.hpp"

namespace portcullis::oauth {

// The 32-byte key that seals secrets at rest: PORTCULLIS_SECRET_KEY (at
// least 16 characters; hashed to 32 bytes) or the file (created with mode
// 0600 when it does not exist and `create` is set). Throws
// std::runtime_error.
std::string loadSecretKey(const std::string& file, bool create = true);

struct KeyInfo {
  std::string kid;
  std::string alg;
  int64_t createdAt = 0;
  std::optional<int64_t> retiredAt;
};

class KeyRing {
 public:
  KeyRing(storage::Database& db, std::string secretKey, std::string alg, std::chrono::milliseconds tokenTtl);

  // Loads the keys, creating the first one when there is none.
  void load();
  // Adds a new key that signs from now on; the previous one is retired.
  std::shared_ptr<SigningKey> rotate();

  std::shared_ptr<SigningKey> current() const;
  std::shared_ptr<SigningKey> byKid(const std::string& kid) const;
  json::ObjectPtr jwks() const;
  std::vector<KeyInfo> list() const;  // newest first
  // The keys as stored, without the secret key (nothing is decrypted).
  static std::vector<KeyInfo> stored(storage::Database& db);
  const std::string& alg() const { return alg_; }

 private:
  struct Entry {
    std::shared_ptr<SigningKey> key;
    int64_t createdAt;
    std::optional<int64_t> retiredAt;
  };

  storage::Database& db_;
  const std::string secret_;
  const std::string alg_;
  const std::chrono::milliseconds tokenTtl_;
  mutable std::mutex mutex_;
  std::vector<Entry> keys_;  // newest first
};

}  // namespace portcullis::oauth
