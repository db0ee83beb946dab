#pragma once
// API tokens for clients that cannot do OAuth: long random bearer tokens an
// operator creates for a user with `portcullis tokens create`, shown once and
// stored as SHA-256 hashes, accepted on the MCP endpoint until they expire
// or are revoked.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/storage/database.hpp"

namespace portcullis::oauth {

inline constexpr const char* kApiTokenPrefix = "pct_";

struct ApiToken {
  std::string id;
  std::string name;
  std::string userId;
  std::string username;  // filled by list()
  std::string scope;
  int64_t createdAt = 0;
  int64_t expiresAt = 0;
  std::optional<int64_t> lastUsedAt;
  bool revoked = false;
};

class ApiTokenStore {
 public:
  explicit ApiTokenStore(storage::Database& db) : db_(db) {}

  // Returns the token text, which is not stored anywhere.
  std::string create(const std::string& userId, const std::string& scope, std::chrono::milliseconds ttl,
                     const std::string& name, ApiToken& record);
  std::vector<ApiToken> list();
  bool revoke(const std::string& id);
  // The live record for a presented token, or nullopt.
  std::optional<ApiToken> find(const std::string& token);
  void touch(const std::string& id);

  static bool looksLikeApiToken(const std::string& token);

 private:
  storage::Database& db_;
};

}  // namespace portcullis::oauth
