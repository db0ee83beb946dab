#pragma once
// Linked accounts: a user's own tokens for an upstream, obtained once
// through Portcullis (the user signs in at the upstream's authorization
// server, Portcullis is the OAuth client) and used for that user's calls to
// it. Connectors declare the accounts they need; the tokens are stored
// sealed (AES-256-GCM under the server's secret key, bound to the user and
// the account), refreshed before they expire, and listed and removed by
// the user on /accounts or by an operator with `portcullis accounts`.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/accounts/upstream_oauth.hpp"
#include "core/storage/database.hpp"

namespace portcullis::accounts {

// One account a connector needs its users to link.
struct AccountDefinition {
  std::string name;   // the connector's name; the link page is /accounts/link/<name>
  std::string title;  // for people: "GitHub", or the name
  ProviderSettings provider;
};

// What is stored about a link, without its tokens.
struct LinkedAccount {
  std::string userId;
  std::string account;
  std::string scope;
  int64_t expiresAt = 0;  // the access token's; 0 when unknown
  bool refreshable = false;
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
};

struct AccessToken {
  enum class Status { kOk, kNotLinked, kUnavailable };
  Status status = Status::kNotLinked;
  std::string value;  // kOk: the access token
  std::string error;  // otherwise: why, for the log and the caller
};

class LinkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AccountLinks {
 public:
  // `secretKey`: the 32-byte key that seals secrets at rest.
  AccountLinks(storage::Database& db, std::string secretKey, UpstreamOAuthClient& client);

  // Throws LinkError when the name is taken or the definition lacks a resource.
  void declare(AccountDefinition definition);
  // The checks of declare() that need no server: LinkError when the
  // definition is incomplete. Fills in the title.
  static void check(AccountDefinition& definition);
  std::optional<AccountDefinition> definition(const std::string& account) const;
  std::vector<AccountDefinition> definitions() const;

  // The user's access token for the account, refreshed when it expires
  // within a minute, or at once with `refreshNow` (the upstream refused
  // it). A refresh the upstream refuses (invalid_grant) removes the link.
  AccessToken token(const std::string& userId, const std::string& account, bool refreshNow = false);
  // For requests no user makes (a connector listing the upstream's tools):
  // the token of the link used or refreshed last, kNotLinked when nobody
  // has linked the account.
  AccessToken anyToken(const std::string& account, bool refreshNow = false);

  // Starts linking: the authorization URL at the upstream to send the
  // user's browser to, with a state (single use, ten minutes) bound to the
  // user and to `browserKey`, a secret the pages keep in a cookie of the
  // browser that started. `redirectUri` is this server's /accounts/callback.
  // Throws LinkError or UpstreamOAuthError.
  std::string beginLink(const std::string& userId, const std::string& account, const std::string& redirectUri,
                        const std::string& browserKey);
  // Finishes linking with the code the upstream sent back, in the browser
  // that started (`browserKey` matches: a flow started by someone else and
  // finished in this browser links nothing). Returns the user and the
  // account. Throws LinkError or UpstreamOAuthError.
  struct Completed {
    std::string userId;
    std::string account;
  };
  Completed completeLink(const std::string& state, const std::string& code, const std::string& browserKey);

  std::vector<LinkedAccount> linkedBy(const std::string& userId) const;
  std::vector<LinkedAccount> all() const;
  // Revokes the tokens at the upstream when it can (best effort) and forgets
  // them. False when there was no such link.
  bool unlink(const std::string& userId, const std::string& account);

 private:
  struct Provider {
    Endpoints endpoints;
    bool discovered = false;
  };
  struct StoredTokens {
    TokenSet tokens;
    std::string redirectUri;  // the client it was issued to
  };
  Endpoints endpointsFor(const AccountDefinition& definition);
  ClientRegistration clientFor(const AccountDefinition& definition, const Endpoints& endpoints,
                               const std::string& redirectUri);
  std::optional<StoredTokens> load(const std::string& userId, const std::string& account) const;
  void store(const std::string& userId, const std::string& account, const TokenSet& tokens,
             const std::string& redirectUri);
  std::shared_ptr<std::mutex> refreshLock(const std::string& userId, const std::string& account);

  storage::Database& db_;
  const std::string secretKey_;
  UpstreamOAuthClient& client_;
  mutable std::mutex mutex_;
  std::map<std::string, AccountDefinition> definitions_;
  std::map<std::string, Provider> providers_;
  // One refresh at a time per link: a rotated refresh token used twice
  // would make the upstream revoke the whole family.
  std::map<std::string, std::shared_ptr<std::mutex>> refreshLocks_;
};

}  // namespace portcullis::accounts
