#pragma once
// OAuth clients, however they came: registered by themselves (RFC 7591 DCR,
// managed with RFC 7592), named by a Client ID Metadata Document URL, or
// configured by the operator. Secrets and registration access tokens are
// stored as SHA-256 hashes.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/common/json.hpp"
#include "core/config/config.hpp"
#include "core/oauth/client_metadata_fetcher.hpp"
#include "core/storage/database.hpp"

namespace portcullis::oauth {

namespace json = common::json;

struct Client {
  std::string clientId;
  std::string kind;  // "dcr", "cimd" or "configured"
  std::string name;
  std::vector<std::string> redirectUris;
  std::string authMethod = "none";  // none, client_secret_basic, client_secret_post
  std::vector<std::string> grantTypes{"authorization_code", "refresh_token"};
  std::string scope;
  std::string applicationType = "web";
  std::string clientUri;
  bool systemManaged = false;
  // A registered (DCR) client that was revoked cannot be used again; other
  // kinds only lost what they had been issued (see revoke()).
  bool revoked = false;
  std::optional<int64_t> revokedAt;
  std::string secretHash;
  std::string registrationTokenHash;
  json::ObjectPtr metadata;
  int64_t createdAt = 0;
  std::optional<int64_t> lastUsedAt;

  bool confidential() const { return authMethod != "none"; }
  bool allowsGrant(const std::string& grant) const;
};

// The answer to a registration request: the HTTP status and JSON body.
struct RegistrationResponse {
  int status = 201;
  json::ObjectPtr body;
};

class ClientRegistry {
 public:
  // Throws std::invalid_argument for a configured client that is not valid
  // (a redirect URI a registration would refuse, client_credentials without a secret).
  ClientRegistry(storage::Database& db, const std::vector<config::ConfiguredClient>& configured,
                 FetcherOptions fetcher, bool metadataDocuments);

  // Any client: configured, registered, or fetched from its metadata URL.
  // `problem` says why not, when the answer is nullopt.
  std::optional<Client> find(const std::string& clientId, std::string& problem);

  // RFC 7591: validates the metadata and registers a client.
  RegistrationResponse registerClient(const json::ObjectPtr& metadata, const std::string& registrationUriBase);
  // RFC 7592, authenticated with the registration access token.
  RegistrationResponse read(const std::string& clientId, const std::string& token, const std::string& uriBase);
  RegistrationResponse update(const std::string& clientId, const std::string& token,
                              const json::ObjectPtr& metadata, const std::string& uriBase);
  RegistrationResponse remove(const std::string& clientId, const std::string& token);

  // Client authentication at the token endpoint.
  bool verifySecret(const Client& client, const std::string& secret) const;

  std::vector<Client> list();
  void touch(const std::string& clientId);
  // The same, inside a write transaction the caller holds.
  void touch(storage::Connection& c, const std::string& clientId);
  // Ends everything the client was issued: its grants, refresh tokens and
  // remembered consents, and (through the change log) its access tokens. A
  // registered client's registration ends too; a configured or metadata-
  // document client can be authorized again, with fresh consent. False for
  // unknown and system-managed clients.
  bool revoke(const std::string& clientId, std::string& problem);

  // Redirect URIs a client may register: https, loopback http, or a private
  // scheme for native apps; never javascript:, data:, fragments or plain
  // http to another host.
  static std::string redirectUriProblem(const std::string& uri);
  // RFC 8252 7.3: for loopback http redirects the port may differ.
  static bool redirectMatches(const std::string& registered, const std::string& requested);

 private:
  std::optional<Client> stored(const std::string& clientId);
  std::optional<Client> fromDocument(const std::string& url, const json::ObjectPtr& document, std::string& problem);
  RegistrationResponse validate(const json::ObjectPtr& metadata, Client& client);
  json::ObjectPtr describe(const Client& client, const std::string& uriBase) const;
  std::optional<Client> authorizeManagement(const std::string& clientId, const std::string& token);

  storage::Database& db_;
  std::map<std::string, Client> configured_;
  ClientMetadataFetcher fetcher_;
  const bool metadataDocuments_;
};

}  // namespace portcullis::oauth
