#include "core/accounts/account_links.hpp"

#include "core/common/crypto.hpp"
#include "core/common/log.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"

namespace portcullis::accounts {

using storage::Value;

namespace {

constexpr int64_t kStateTtlMs = 10 * 60'000;
// A token that expires within this is refreshed before use.
constexpr int64_t kRefreshMarginMs = 60'000;

// Sealed values are bound to the row they belong to, so one cannot be
// moved to another user's or account's row.
std::string context(const std::string& what, const std::string& userId, const std::string& account) {
  return "account-link:" + what + ":" + userId + ":" + account;
}

std::string key(const std::string& userId, const std::string& account) { return userId + "\n" + account; }

LinkedAccount linkFrom(const storage::Row& row) {
  LinkedAccount link;
  link.userId = row.text(0);
  link.account = row.text(1);
  link.scope = row.text(2);
  link.expiresAt = row.integer(3);
  link.refreshable = row.integer(4) != 0;
  link.createdAt = row.integer(5);
  link.updatedAt = row.integer(6);
  return link;
}

constexpr const char* kLinkColumns =
    "user_id, account, scope, expires_at, CASE WHEN refresh_token = '' THEN 0 ELSE 1 END, created_at, updated_at";

}  // namespace

AccountLinks::AccountLinks(storage::Database& db, std::string secretKey, UpstreamOAuthClient& client)
    : db_(db), secretKey_(std::move(secretKey)), client_(client) {}

void AccountLinks::check(AccountDefinition& definition) {
  if (definition.name.empty()) throw LinkError("a linked account needs a name");
  if (definition.provider.resource.empty() &&
      (definition.provider.authorizationEndpoint.empty() || definition.provider.tokenEndpoint.empty())) {
    throw LinkError("the linked account " + definition.name + " needs the upstream's URL or its endpoints");
  }
  if (definition.title.empty()) definition.title = definition.name;
}

void AccountLinks::declare(AccountDefinition definition) {
  check(definition);
  std::lock_guard lock(mutex_);
  if (definitions_.count(definition.name) != 0) {
    throw LinkError("the linked account " + definition.name + " is declared twice");
  }
  const std::string name = definition.name;
  definitions_.emplace(name, std::move(definition));
}

std::optional<AccountDefinition> AccountLinks::definition(const std::string& account) const {
  std::lock_guard lock(mutex_);
  auto it = definitions_.find(account);
  if (it == definitions_.end()) return std::nullopt;
  return it->second;
}

std::vector<AccountDefinition> AccountLinks::definitions() const {
  std::lock_guard lock(mutex_);
  std::vector<AccountDefinition> out;
  for (const auto& [name, d] : definitions_) out.push_back(d);
  return out;
}

Endpoints AccountLinks::endpointsFor(const AccountDefinition& definition) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = providers_.find(definition.name); it != providers_.end() && it->second.discovered) {
      return it->second.endpoints;
    }
  }
  // Outside the lock: discovery makes requests. A failure is not kept, so
  // the next attempt asks again.
  Endpoints endpoints = client_.discover(definition.provider);
  std::lock_guard lock(mutex_);
  providers_[definition.name] = Provider{endpoints, true};
  return endpoints;
}

ClientRegistration AccountLinks::clientFor(const AccountDefinition& definition, const Endpoints& endpoints,
                                           const std::string& redirectUri) {
  if (!definition.provider.clientId.empty()) {
    return ClientRegistration{definition.provider.clientId, definition.provider.clientSecret};
  }
  const std::string secretContext = "account-client:" + definition.name + ":" + endpoints.issuer + ":" + redirectUri;
  const storage::Rows rows = db_.query(
      "SELECT client_id, client_secret FROM account_clients WHERE account = ? AND issuer = ? AND redirect_uri = ?",
      {Value(definition.name), Value(endpoints.issuer), Value(redirectUri)});
  if (!rows.empty()) {
    const std::string sealed = rows.front().text(1);
    std::optional<std::string> secret = sealed.empty() ? std::optional<std::string>("")
                                                       : common::unseal(secretKey_, sealed, secretContext);
    if (secret) return ClientRegistration{rows.front().text(0), *secret};
    common::logger("accounts").warning("the client registered for %s cannot be unsealed; registering again",
                                       definition.name);
  }
  const ClientRegistration registered =
      client_.registerClient(endpoints, redirectUri, "Portcullis (" + definition.title + ")");
  db_.write([&](storage::Connection& c) {
    c.execute("DELETE FROM account_clients WHERE account = ? AND issuer = ? AND redirect_uri = ?",
              {Value(definition.name), Value(endpoints.issuer), Value(redirectUri)});
    c.execute(
        "INSERT INTO account_clients (account, issuer, redirect_uri, client_id, client_secret, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {Value(definition.name), Value(endpoints.issuer), Value(redirectUri), Value(registered.clientId),
         Value(registered.clientSecret.empty() ? std::string()
                                               : common::seal(secretKey_, registered.clientSecret, secretContext)),
         Value(storage::nowMillis())});
  });
  common::logger("accounts").information("registered at %s as client %s for the linked account %s",
                                         endpoints.issuer, registered.clientId, definition.name);
  return registered;
}

std::string AccountLinks::beginLink(const std::string& userId, const std::string& account,
                                    const std::string& redirectUri, const std::string& browserKey) {
  if (userId.empty()) throw LinkError("linking an account needs a signed-in user");
  if (browserKey.size() < 16) throw LinkError("linking an account needs the browser's key");
  const auto found = definition(account);
  if (!found) throw LinkError("there is no linked account " + account);
  const Endpoints endpoints = endpointsFor(*found);
  const ClientRegistration client = clientFor(*found, endpoints, redirectUri);
  const std::string state = common::randomToken(32);
  const std::string verifier = common::randomToken(48);
  const int64_t now = storage::nowMillis();
  db_.write([&](storage::Connection& c) {
    c.execute("DELETE FROM account_link_states WHERE expires_at < ?", {Value(now)});
    c.execute(
        "INSERT INTO account_link_states (state_hash, browser_hash, user_id, account, verifier, redirect_uri, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {Value(common::sha256Hex(state)), Value(common::sha256Hex(browserKey)), Value(userId), Value(account),
         Value(common::seal(secretKey_, verifier, context("verifier", userId, account))), Value(redirectUri),
         Value(now + kStateTtlMs)});
  });
  const std::string challenge = common::base64UrlEncode(common::sha256(verifier));
  return UpstreamOAuthClient::authorizationUrl(endpoints, client, redirectUri, state, challenge,
                                               found->provider.resource);
}

AccountLinks::Completed AccountLinks::completeLink(const std::string& state, const std::string& code,
                                                   const std::string& browserKey) {
  if (state.empty()) throw LinkError("the upstream's answer has no state");
  // Single use: the state is taken out before anything else happens.
  std::optional<storage::Row> pending;
  db_.write([&](storage::Connection& c) {
    const storage::Rows rows = c.query(
        "SELECT user_id, account, verifier, redirect_uri, expires_at, browser_hash FROM account_link_states "
        "WHERE state_hash = ?",
        {Value(common::sha256Hex(state))});
    if (rows.empty()) return;
    pending = rows.front();
    c.execute("DELETE FROM account_link_states WHERE state_hash = ?", {Value(common::sha256Hex(state))});
  });
  if (!pending) throw LinkError("this link request is unknown or was already used; start again");
  if (!common::constantTimeEquals(common::sha256Hex(browserKey), pending->text(5))) {
    throw LinkError("this link request was started in another browser; start again from this one");
  }
  if (code.empty()) throw LinkError("the upstream's answer has no code");
  const std::string userId = pending->text(0);
  const std::string account = pending->text(1);
  if (pending->integer(4) < storage::nowMillis()) throw LinkError("this link request expired; start again");
  const auto found = definition(account);
  if (!found) throw LinkError("there is no linked account " + account);
  const auto verifier = common::unseal(secretKey_, pending->text(2), context("verifier", userId, account));
  if (!verifier) throw LinkError("this link request cannot be read; start again");
  const std::string redirectUri = pending->text(3);
  const Endpoints endpoints = endpointsFor(*found);
  const ClientRegistration client = clientFor(*found, endpoints, redirectUri);
  const TokenSet tokens =
      client_.exchangeCode(endpoints, client, code, redirectUri, *verifier, found->provider.resource);
  store(userId, account, tokens, redirectUri);
  common::logger("accounts").information("user %s linked the account %s", userId, account);
  return Completed{userId, account};
}

void AccountLinks::store(const std::string& userId, const std::string& account, const TokenSet& tokens,
                         const std::string& redirectUri) {
  const int64_t now = storage::nowMillis();
  const std::string access = common::seal(secretKey_, tokens.accessToken, context("access", userId, account));
  const std::string refresh = tokens.refreshToken.empty()
                                  ? std::string()
                                  : common::seal(secretKey_, tokens.refreshToken, context("refresh", userId, account));
  db_.write([&](storage::Connection& c) {
    const size_t changed = c.execute(
        "UPDATE account_links SET access_token = ?, refresh_token = ?, scope = ?, expires_at = ?, redirect_uri = ?, "
        "updated_at = ? WHERE user_id = ? AND account = ?",
        {Value(access), Value(refresh), Value(tokens.scope), Value(tokens.expiresAt), Value(redirectUri), Value(now),
         Value(userId), Value(account)});
    if (changed == 0) {
      c.execute(
          "INSERT INTO account_links (user_id, account, access_token, refresh_token, scope, expires_at, "
          "redirect_uri, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {Value(userId), Value(account), Value(access), Value(refresh), Value(tokens.scope),
           Value(tokens.expiresAt), Value(redirectUri), Value(now), Value(now)});
    }
  });
}

std::optional<AccountLinks::StoredTokens> AccountLinks::load(const std::string& userId,
                                                             const std::string& account) const {
  const storage::Rows rows = db_.query(
      "SELECT access_token, refresh_token, scope, expires_at, redirect_uri FROM account_links "
      "WHERE user_id = ? AND account = ?",
      {Value(userId), Value(account)});
  if (rows.empty()) return std::nullopt;
  const auto& row = rows.front();
  StoredTokens stored;
  const auto access = common::unseal(secretKey_, row.text(0), context("access", userId, account));
  if (!access) {
    common::logger("accounts").warning("the %s token of user %s cannot be unsealed (another secret key?)", account,
                                       userId);
    return std::nullopt;
  }
  stored.tokens.accessToken = *access;
  if (!row.text(1).empty()) {
    stored.tokens.refreshToken =
        common::unseal(secretKey_, row.text(1), context("refresh", userId, account)).value_or("");
  }
  stored.tokens.tokenType = "Bearer";
  stored.tokens.scope = row.text(2);
  stored.tokens.expiresAt = row.integer(3);
  stored.redirectUri = row.text(4);
  return stored;
}

std::shared_ptr<std::mutex> AccountLinks::refreshLock(const std::string& userId, const std::string& account) {
  std::lock_guard lock(mutex_);
  auto& entry = refreshLocks_[key(userId, account)];
  if (!entry) entry = std::make_shared<std::mutex>();
  return entry;
}

AccessToken AccountLinks::token(const std::string& userId, const std::string& account, bool refreshNow) {
  AccessToken out;
  if (userId.empty()) {
    out.error = "the caller is not signed in";
    return out;
  }
  const auto found = definition(account);
  if (!found) {
    out.status = AccessToken::Status::kUnavailable;
    out.error = "there is no linked account " + account;
    return out;
  }
  const auto fresh = [](const StoredTokens& s) {
    return s.tokens.expiresAt == 0 || s.tokens.expiresAt - kRefreshMarginMs > storage::nowMillis();
  };
  try {
    auto stored = load(userId, account);
    if (!stored) {
      out.error = "the account is not linked";
      return out;
    }
    if (!refreshNow && fresh(*stored)) {
      out.status = AccessToken::Status::kOk;
      out.value = stored->tokens.accessToken;
      return out;
    }
    const std::string used = stored->tokens.accessToken;
    const auto lock = refreshLock(userId, account);
    std::lock_guard guard(*lock);
    // Another call may have refreshed while this one waited.
    stored = load(userId, account);
    if (!stored) {
      out.error = "the account is not linked";
      return out;
    }
    if (stored->tokens.accessToken != used && fresh(*stored)) {
      out.status = AccessToken::Status::kOk;
      out.value = stored->tokens.accessToken;
      return out;
    }
    if (stored->tokens.refreshToken.empty()) {
      // Nothing to refresh with: the user links again.
      unlink(userId, account);
      out.error = "the upstream's token expired and cannot be refreshed; link the account again";
      return out;
    }
    const Endpoints endpoints = endpointsFor(*found);
    const ClientRegistration client = clientFor(*found, endpoints, stored->redirectUri);
    const TokenSet renewed =
        client_.refresh(endpoints, client, stored->tokens.refreshToken, found->provider.resource);
    store(userId, account, renewed, stored->redirectUri);
    out.status = AccessToken::Status::kOk;
    out.value = renewed.accessToken;
    return out;
  } catch (const UpstreamOAuthError& e) {
    if (e.code() == "invalid_grant" || e.code() == "invalid_client" || e.code() == "unauthorized_client") {
      db_.execute("DELETE FROM account_links WHERE user_id = ? AND account = ?", {Value(userId), Value(account)});
      common::logger("accounts").information("the %s link of user %s was refused by the upstream (%s); removed",
                                             account, userId, e.code());
      out.status = AccessToken::Status::kNotLinked;
      out.error = "the upstream no longer accepts the link (" + e.code() + "); link the account again";
      return out;
    }
    out.status = AccessToken::Status::kUnavailable;
    out.error = e.what();
    return out;
  } catch (const storage::DatabaseError& e) {
    out.status = AccessToken::Status::kUnavailable;
    out.error = e.what();
    return out;
  }
}

AccessToken AccountLinks::anyToken(const std::string& account, bool refreshNow) {
  const storage::Rows rows =
      db_.query("SELECT user_id FROM account_links WHERE account = ? ORDER BY updated_at DESC LIMIT 1",
                {Value(account)});
  if (rows.empty()) {
    AccessToken out;
    out.error = "nobody has linked the account yet";
    return out;
  }
  return token(rows.front().text(0), account, refreshNow);
}

std::vector<LinkedAccount> AccountLinks::linkedBy(const std::string& userId) const {
  std::vector<LinkedAccount> out;
  for (const auto& row : db_.query(std::string("SELECT ") + kLinkColumns +
                                       " FROM account_links WHERE user_id = ? ORDER BY account",
                                   {Value(userId)})) {
    out.push_back(linkFrom(row));
  }
  return out;
}

std::vector<LinkedAccount> AccountLinks::all() const {
  std::vector<LinkedAccount> out;
  for (const auto& row :
       db_.query(std::string("SELECT ") + kLinkColumns + " FROM account_links ORDER BY user_id, account")) {
    out.push_back(linkFrom(row));
  }
  return out;
}

bool AccountLinks::unlink(const std::string& userId, const std::string& account) {
  // Without the secret key (the command line) the tokens are only forgotten.
  const auto stored = secretKey_.empty() ? std::nullopt : load(userId, account);
  size_t removed = 0;
  db_.write([&](storage::Connection& c) {
    removed = c.execute("DELETE FROM account_links WHERE user_id = ? AND account = ?", {Value(userId), Value(account)});
  });
  if (removed == 0) return false;
  const auto found = definition(account);
  if (stored && found) {
    // Revoking the refresh token ends the whole grant at most servers.
    try {
      const Endpoints endpoints = endpointsFor(*found);
      const ClientRegistration client = clientFor(*found, endpoints, stored->redirectUri);
      client_.revoke(endpoints, client,
                     stored->tokens.refreshToken.empty() ? stored->tokens.accessToken : stored->tokens.refreshToken);
    } catch (const std::exception& e) {
      common::logger("accounts").warning("the upstream of %s did not confirm the revocation: %s", account,
                                         std::string(e.what()));
    }
  }
  common::logger("accounts").information("user %s unlinked the account %s", userId, account);
  return true;
}

}  // namespace portcullis::accounts
