#pragma once
// The resource-server half: who is calling the MCP endpoint, from the
// bearer token on each request. Access tokens are JWTs this server signed
// (verified once, then answered from a cache until they expire); API tokens
// are looked up by hash. Revocations and user changes arrive through the
// change log and apply to cached tokens at once.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/oauth/api_token_store.hpp"
#include "core/oauth/change_log.hpp"
#include "core/oauth/key_ring.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/storage/database.hpp"

namespace portcullis::oauth {

struct Caller {
  std::string subject;  // user id, or the client id for client_credentials
  std::string username;
  std::string name;
  std::string email;
  std::string role;
  std::vector<std::string> groups;
  std::vector<std::string> scopes;
  std::string clientId;
  std::string grantId;  // OAuth tokens
  std::string apiTokenId;
  int64_t expiresAt = 0;  // milliseconds
};


struct BearerCheck {
  enum class Result { Ok, Missing, Invalid };
  Result result = Result::Missing;
  Caller caller;
  std::string reason;  // for error_description (never secret material)
};

// Which issuers (and so audiences) a request may present tokens for.
class IssuerPolicy {
 public:
  // publicUrl empty: the issuer is derived per request from the URL the
  // client used; loopback spellings of the same port count as one.
  IssuerPolicy(std::string publicUrl, std::string mcpPath);
  bool acceptsIssuer(const std::string& iss, const std::string& requestBase) const;
  bool acceptsAudience(const json::Value& aud, const std::string& iss) const;
  std::string issuerFor(const std::string& requestBase) const;
  std::string resourceFor(const std::string& requestBase) const;
  const std::string& mcpPath() const { return mcpPath_; }

 private:
  std::string publicUrl_;
  std::string mcpPath_;
};

class ResourceServer {
 public:
  ResourceServer(KeyRing& keys, UserDirectory& users, ApiTokenStore& apiTokens, storage::Database& db,
                 IssuerPolicy issuers, std::chrono::milliseconds tokenTtl);

  // Loads what is revoked, so tokens issued before a restart stay revoked.
  void load();

  // Checks "Authorization: Bearer ..." for a request that reached the
  // server at requestBase (scheme://host[:port][/prefix]).
  BearerCheck check(const std::optional<std::string>& authorization, const std::string& requestBase);

  // Applies a change from the change log.
  void apply(const Change& change);

  const IssuerPolicy& issuers() const { return issuers_; }

 private:
  struct Cached {
    Caller caller;  // user fields refreshed from the directory on use
    std::string issuer;
  };
  BearerCheck verifyJwt(const std::string& token, const std::string& requestBase);
  BearerCheck checkApiToken(const std::string& token);
  bool fillUser(Caller& caller, std::string& reason);

  KeyRing& keys_;
  UserDirectory& users_;
  ApiTokenStore& apiTokens_;
  storage::Database& db_;
  IssuerPolicy issuers_;
  const std::chrono::milliseconds tokenTtl_;

  std::mutex mutex_;
  std::unordered_map<std::string, Cached> verified_;   // access token → claims
  std::unordered_map<std::string, Caller> apiCache_;   // API token hash → caller
  std::set<std::string> revokedGrants_;
  std::unordered_map<std::string, std::optional<User>> userCache_;
};

}  // namespace portcullis::oauth
