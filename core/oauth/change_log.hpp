#pragma once
// Changes every server must see quickly: a revoked grant, client or API
// token, a user whose role changed, a connector's approved definitions. The CLI and the servers share the
// database, so each change is written to change_log; every server polls it
// a few times a second (revocations elsewhere take effect within one poll)
// and applies its own changes as soon as they commit.

#include <cstdint>
#include <string>
#include <vector>

#include "core/storage/database.hpp"

namespace portcullis::oauth {

struct Change {
  std::string kind;  // one of change_kind
  std::string ref;
  int64_t at = 0;
};

namespace change_kind {
inline constexpr const char* kGrant = "grant";
inline constexpr const char* kClient = "client";
inline constexpr const char* kApiToken = "api_token";
inline constexpr const char* kUser = "user";
inline constexpr const char* kSigningKey = "signing_key";
inline constexpr const char* kPlugin = "plugin";  // ref: a plugin instance whose lists must be read again
}  // namespace change_kind

// Records a change inside the caller's transaction.
void recordChange(storage::Connection& c, const std::string& kind, const std::string& ref);

// Changes at or after `since` (milliseconds), oldest first.
std::vector<Change> changesSince(storage::Database& db, int64_t since);

}  // namespace portcullis::oauth
