#include "core/oauth/resource_server.hpp"

#include "core/common/crypto.hpp"
#include "core/common/text.hpp"
#include "core/oauth/jwt.hpp"
#include "core/oauth/scopes.hpp"

namespace portcullis::oauth {

using storage::Value;

namespace {

constexpr int64_t kLeewayMs = 30'000;
constexpr size_t kCacheLimit = 100'000;

// "http://127.0.0.1:8080" → {"http", "8080"} when the host is a loopback
// spelling; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> loopbackOrigin(const std::string& base) {
  const size_t scheme = base.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  const std::string rest = base.substr(scheme + 3);
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  std::string host = authority;
  std::string port;
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  host = common::toLower(host);
  if (host != "localhost" && host != "127.0.0.1" && host != "[::1]") return std::nullopt;
  return std::make_pair(base.substr(0, scheme) + (slash == std::string::npos ? "" : rest.substr(slash)), port);
}

}  // namespace

IssuerPolicy::IssuerPolicy(std::string publicUrl, std::string mcpPath)
    : publicUrl_(std::move(publicUrl)), mcpPath_(std::move(mcpPath)) {}

std::string IssuerPolicy::issuerFor(const std::string& requestBase) const {
  return publicUrl_.empty() ? requestBase : publicUrl_;
}

std::string IssuerPolicy::resourceFor(const std::string& requestBase) const {
  return issuerFor(requestBase) + mcpPath_;
}

bool IssuerPolicy::acceptsIssuer(const std::string& iss, const std::string& requestBase) const {
  if (!publicUrl_.empty()) return iss == publicUrl_;
  if (iss == requestBase) return true;
  // localhost:8080 and 127.0.0.1:8080 are the same server.
  auto a = loopbackOrigin(iss);
  auto b = loopbackOrigin(requestBase);
  return a && b && *a == *b;
}

bool IssuerPolicy::acceptsAudience(const json::Value& aud, const std::string& iss) const {
  const std::string resource = iss + mcpPath_;
  auto matches = [&](const std::string& a) { return a == resource || a == resource + "/"; };
  if (json::isString(aud)) return matches(aud.extract<std::string>());
  if (auto list = json::asArray(aud)) {
    for (const auto& a : *list) {
      if (json::isString(a) && matches(a.extract<std::string>())) return true;
    }
  }
  return false;
}

ResourceServer::ResourceServer(KeyRing& keys, UserDirectory& users, ApiTokenStore& apiTokens, storage::Database& db,
                               IssuerPolicy issuers, std::chrono::milliseconds tokenTtl)
    : keys_(keys), users_(users), apiTokens_(apiTokens), db_(db), issuers_(std::move(issuers)), tokenTtl_(tokenTtl) {}

void ResourceServer::load() {
  std::set<std::string> grants;
  // A grant revoked longer ago than a token lives can sign nothing valid.
  for (const auto& row : db_.query("SELECT id FROM grants WHERE revoked_at IS NOT NULL AND revoked_at > ?",
                                   {Value(storage::nowMillis() - tokenTtl_.count() - kLeewayMs)})) {
    grants.insert(row.text(0));
  }
  std::lock_guard lock(mutex_);
  revokedGrants_ = std::move(grants);
}

void ResourceServer::apply(const Change& change) {
  // A client revocation revoked its grants in the same transaction: those,
  // not the client id, are what its tokens are checked against, so tokens
  // from a later authorization of the same client stay good.
  std::vector<std::string> clientGrants;
  if (change.kind == change_kind::kClient) {
    for (const auto& row : db_.query("SELECT id FROM grants WHERE client_id = ? AND revoked_at IS NOT NULL",
                                     {Value(change.ref)})) {
      clientGrants.push_back(row.text(0));
    }
  }
  std::lock_guard lock(mutex_);
  if (change.kind == change_kind::kGrant) {
    revokedGrants_.insert(change.ref);
  } else if (change.kind == change_kind::kClient) {
    revokedGrants_.insert(clientGrants.begin(), clientGrants.end());
  } else if (change.kind == change_kind::kApiToken) {
    apiCache_.clear();
  } else if (change.kind == change_kind::kUser) {
    userCache_.erase(change.ref);
    apiCache_.clear();
  }
}

bool ResourceServer::fillUser(Caller& caller, std::string& reason) {
  std::optional<User> user;
  {
    std::lock_guard lock(mutex_);
    if (auto it = userCache_.find(caller.subject); it != userCache_.end()) user = it->second;
  }
  if (!user) {
    user = users_.byId(caller.subject);
    std::lock_guard lock(mutex_);
    if (userCache_.size() > kCacheLimit) userCache_.clear();
    userCache_[caller.subject] = user;
  }
  if (!user) {
    reason = "the user no longer exists";
    return false;
  }
  if (user->disabled) {
    reason = "the user is disabled";
    return false;
  }
  caller.username = user->username;
  caller.name = user->name;
  caller.email = user->email;
  caller.role = user->role;
  caller.groups = user->groups;
  return true;
}

BearerCheck ResourceServer::check(const std::optional<std::string>& authorization, const std::string& requestBase) {
  BearerCheck out;
  if (!authorization || authorization->empty()) return out;
  // "Bearer" is case-insensitive; exactly one space and a token68 value.
  if (authorization->size() < 8 || !common::iequals(authorization->substr(0, 7), "Bearer ")) {
    out.result = BearerCheck::Result::Invalid;
    out.reason = "the Authorization header is not a Bearer token";
    return out;
  }
  const std::string token(common::trim(authorization->substr(7)));
  if (token.empty() || token.find(' ') != std::string::npos) {
    out.result = BearerCheck::Result::Invalid;
    out.reason = "malformed bearer token";
    return out;
  }
  if (ApiTokenStore::looksLikeApiToken(token)) return checkApiToken(token);
  return verifyJwt(token, requestBase);
}

BearerCheck ResourceServer::checkApiToken(const std::string& token) {
  BearerCheck out;
  out.result = BearerCheck::Result::Invalid;
  const std::string hash = common::sha256Hex(token);
  std::optional<Caller> cached;
  {
    std::lock_guard lock(mutex_);
    if (auto it = apiCache_.find(hash); it != apiCache_.end()) cached = it->second;
  }
  const int64_t now = storage::nowMillis();
  if (!cached) {
    auto record = apiTokens_.find(token);
    if (!record) {
      out.reason = "the API token is not valid, has expired or was revoked";
      return out;
    }
    apiTokens_.touch(record->id);
    Caller caller;
    caller.subject = record->userId;
    caller.scopes = splitScopes(record->scope);
    caller.apiTokenId = record->id;
    caller.clientId = "api-token:" + record->id;
    caller.expiresAt = record->expiresAt;
    cached = caller;
    std::lock_guard lock(mutex_);
    if (apiCache_.size() > kCacheLimit) apiCache_.clear();
    apiCache_[hash] = caller;
  }
  if (cached->expiresAt <= now) {
    out.reason = "the API token has expired";
    return out;
  }
  Caller caller = *cached;
  if (!fillUser(caller, out.reason)) return out;
  out.result = BearerCheck::Result::Ok;
  out.caller = std::move(caller);
  return out;
}

BearerCheck ResourceServer::verifyJwt(const std::string& token, const std::string& requestBase) {
  BearerCheck out;
  out.result = BearerCheck::Result::Invalid;
  const int64_t now = storage::nowMillis();
  std::optional<Cached> cached;
  {
    std::lock_guard lock(mutex_);
    if (auto it = verified_.find(token); it != verified_.end()) cached = it->second;
  }
  if (!cached) {
    auto jwt = decodeJwt(token);
    if (!jwt) {
      out.reason = "the access token is malformed";
      return out;
    }
    // The algorithm is the key's; a token cannot choose it (no "none", no
    // HS256 keyed with a public key). Keys of an algorithm used before a
    // change of auth.signing_alg verify until their tokens expire.
    const auto alg = json::getString(jwt->header, "alg");
    const auto kid = json::getString(jwt->header, "kid");
    if (json::getString(jwt->header, "typ") != std::optional<std::string>("at+jwt")) {
      out.reason = "not an access token (typ must be at+jwt)";
      return out;
    }
    auto key = kid ? keys_.byKid(*kid) : nullptr;
    if (!key || !alg || *alg != key->alg()) {
      out.reason = "the access token was not signed by this server";
      return out;
    }
    if (!key->verify(jwt->signingInput, jwt->signature)) {
      out.reason = "the access token signature is not valid";
      return out;
    }
    const auto& claims = jwt->payload;
    const auto iss = json::getString(claims, "iss");
    const auto sub = json::getString(claims, "sub");
    const auto clientId = json::getString(claims, "client_id");
    const auto exp = json::getInt(claims, "exp");
    const auto gid = json::getString(claims, "gid");
    if (!iss || !sub || !clientId || !exp || !gid || !claims->has("aud")) {
      out.reason = "the access token lacks required claims";
      return out;
    }
    Cached entry;
    entry.issuer = *iss;
    entry.caller.subject = *sub;
    entry.caller.clientId = *clientId;
    entry.caller.grantId = *gid;
    entry.caller.scopes = splitScopes(json::getString(claims, "scope").value_or(""));
    entry.caller.expiresAt = *exp * 1000;
    if (!issuers_.acceptsAudience(claims->get("aud"), *iss)) {
      out.reason = "the access token is for another resource";
      return out;
    }
    if (auto nbf = json::getInt(claims, "nbf"); nbf && *nbf * 1000 > now + kLeewayMs) {
      out.reason = "the access token is not valid yet";
      return out;
    }
    cached = entry;
    std::lock_guard lock(mutex_);
    if (verified_.size() > kCacheLimit) verified_.clear();
    verified_[token] = entry;
  }
  if (!issuers_.acceptsIssuer(cached->issuer, requestBase)) {
    out.reason = "the access token was issued for another server";
    return out;
  }
  if (cached->caller.expiresAt + kLeewayMs <= now) {
    std::lock_guard lock(mutex_);
    verified_.erase(token);
    out.reason = "the access token has expired";
    return out;
  }
  {
    std::lock_guard lock(mutex_);
    if (revokedGrants_.count(cached->caller.grantId) != 0) {
      out.reason = "the access token was revoked";
      return out;
    }
  }
  Caller caller = cached->caller;
  if (caller.subject == caller.clientId) {
    // client_credentials: the client acts for itself; no user to look up.
    out.result = BearerCheck::Result::Ok;
    out.caller = std::move(caller);
    return out;
  }
  if (!fillUser(caller, out.reason)) return out;
  out.result = BearerCheck::Result::Ok;
  out.caller = std::move(caller);
  return out;
}

}  // namespace portcullis::oauth
