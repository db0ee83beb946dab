#include "core/oauth/client_registry.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/common/crypto.hpp"
#include "core/common/log.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/change_log.hpp"

namespace portcullis::oauth {

using storage::Value;

bool Client::allowsGrant(const std::string& grant) const {
  return std::find(grantTypes.begin(), grantTypes.end(), grant) != grantTypes.end();
}

namespace {

json::ObjectPtr error(const std::string& code, const std::string& description) {
  json::ObjectPtr o = json::makeObject();
  o->set("error", code);
  o->set("error_description", description);
  return o;
}

json::ArrayPtr toArray(const std::vector<std::string>& items) {
  json::ArrayPtr a = json::makeArray();
  for (const auto& i : items) a->add(i);
  return a;
}

struct LoopbackUri {
  std::string host;
  std::string rest;  // path, query
};

// "http://127.0.0.1:8765/callback" → {127.0.0.1, /callback}; nothing else.
std::optional<LoopbackUri> loopback(const std::string& uri) {
  if (!common::startsWith(uri, "http://")) return std::nullopt;
  const std::string after = uri.substr(7);
  std::string host;
  size_t end = 0;
  if (common::startsWith(after, "[::1]")) {
    host = "[::1]";
    end = 5;
  } else {
    end = after.find_first_of(":/?#");
    host = after.substr(0, end);
    if (host != "127.0.0.1" && host != "localhost") return std::nullopt;
  }
  if (end == std::string::npos) return LoopbackUri{host, ""};
  size_t rest = end;
  if (after[end] == ':') {
    rest = after.find_first_of("/?#", end);
    const std::string port = after.substr(end + 1, rest == std::string::npos ? std::string::npos : rest - end - 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return std::nullopt;
    if (rest == std::string::npos) return LoopbackUri{host, ""};
  }
  return LoopbackUri{host, after.substr(rest)};
}

Client fromRow(const storage::Row& r) {
  Client c;
  c.clientId = r.text(0);
  c.kind = r.text(1);
  c.name = r.text(2);
  c.secretHash = r.text(4);
  c.registrationTokenHash = r.text(5);
  c.createdAt = r.integer(6);
  c.lastUsedAt = r.optionalInteger(7);
  c.revokedAt = r.optionalInteger(8);
  c.revoked = c.revokedAt.has_value() && c.kind == "dcr";
  try {
    c.metadata = json::parseObject(r.text(3));
  } catch (const json::ParseError&) {
    c.metadata = json::makeObject();
  }
  if (auto uris = json::getArray(c.metadata, "redirect_uris")) {
    for (const auto& u : *uris) {
      if (json::isString(u)) c.redirectUris.push_back(u.extract<std::string>());
    }
  }
  c.authMethod = json::getString(c.metadata, "token_endpoint_auth_method").value_or("none");
  if (auto grants = json::getArray(c.metadata, "grant_types")) {
    c.grantTypes.clear();
    for (const auto& g : *grants) {
      if (json::isString(g)) c.grantTypes.push_back(g.extract<std::string>());
    }
  }
  c.scope = json::getString(c.metadata, "scope").value_or("");
  c.applicationType = json::getString(c.metadata, "application_type").value_or("web");
  c.clientUri = json::getString(c.metadata, "client_uri").value_or("");
  return c;
}

constexpr const char* kColumns =
    "client_id, kind, name, metadata_json, secret_hash, registration_token_hash, created_at, last_used_at, revoked_at";

}  // namespace

std::string ClientRegistry::redirectUriProblem(const std::string& uri) {
  if (uri.empty() || uri.size() > 2048) return "a redirect URI must be 1 to 2048 characters";
  if (uri.find('#') != std::string::npos) return "a redirect URI must not have a fragment";
  for (unsigned char c : uri) {
    if (c <= 0x20 || c == 0x7F || c == '\\' || c == '"' || c == '<' || c == '>') {
      return "a redirect URI must not contain spaces, quotes, angle brackets or backslashes";
    }
  }
  const size_t colon = uri.find(':');
  if (colon == std::string::npos || colon == 0) return "a redirect URI must be absolute";
  const std::string scheme = common::toLower(uri.substr(0, colon));
  if (!std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '+' || c == '.' || c == '-';
      })) {
    return "a redirect URI must be absolute";
  }
  static const std::vector<std::string> kForbidden{"javascript", "data", "vbscript", "file", "blob", "about", "ftp", "ws", "wss"};
  if (std::find(kForbidden.begin(), kForbidden.end(), scheme) != kForbidden.end()) {
    return "the " + scheme + ": scheme is not allowed for redirect URIs";
  }
  if (scheme == "https") {
    if (!common::startsWith(uri, "https://") || uri.size() <= 8 || uri[8] == '/') return "an https redirect URI needs a host";
    if (uri.substr(8, uri.find_first_of("/?", 8) - 8).find('@') != std::string::npos) {
      return "a redirect URI must not carry user information";
    }
    return {};
  }
  if (scheme == "http") {
    if (!loopback(uri)) return "plain http redirect URIs are allowed only for 127.0.0.1, [::1] or localhost";
    return {};
  }
  // A private-use scheme of a native app (RFC 8252 7.1), e.g. com.example.app:/cb.
  return {};
}

bool ClientRegistry::redirectMatches(const std::string& registered, const std::string& requested) {
  if (registered == requested) return true;
  auto a = loopback(registered);
  auto b = loopback(requested);
  return a && b && a->host == b->host && a->rest == b->rest;
}

ClientRegistry::ClientRegistry(storage::Database& db, const std::vector<config::ConfiguredClient>& configured,
                               FetcherOptions fetcher, bool metadataDocuments)
    : db_(db), fetcher_(std::move(fetcher)), metadataDocuments_(metadataDocuments) {
  for (const auto& c : configured) {
    for (const auto& uri : c.redirectUris) {
      if (const std::string problem = redirectUriProblem(uri); !problem.empty()) {
        throw std::invalid_argument("auth.clients: " + c.clientId + ": " + problem + ": " + uri);
      }
    }
    const bool credentials =
        std::find(c.grantTypes.begin(), c.grantTypes.end(), "client_credentials") != c.grantTypes.end();
    if (credentials && c.secret.empty()) {
      throw std::invalid_argument("auth.clients: " + c.clientId + ": client_credentials needs a secret");
    }
    Client client;
    client.clientId = c.clientId;
    client.kind = "configured";
    client.name = c.name.empty() ? c.clientId : c.name;
    client.redirectUris = c.redirectUris;
    client.grantTypes = c.grantTypes;
    client.scope = c.scope;
    client.systemManaged = c.systemManaged;
    if (!c.secret.empty()) {
      client.authMethod = "client_secret_basic";
      client.secretHash = common::sha256Hex(c.secret);
    }
    client.metadata = json::makeObject();
    client.metadata->set("client_name", client.name);
    client.metadata->set("redirect_uris", toArray(c.redirectUris));
    configured_[c.clientId] = client;
  }
}

std::optional<Client> ClientRegistry::stored(const std::string& clientId) {
  const auto rows = db_.query(std::string("SELECT ") + kColumns + " FROM clients WHERE client_id = ?", {Value(clientId)});
  if (rows.empty()) return std::nullopt;
  return fromRow(rows.front());
}

std::optional<Client> ClientRegistry::find(const std::string& clientId, std::string& problem) {
  if (auto it = configured_.find(clientId); it != configured_.end()) {
    // Revoking a configured client ended what it had been issued; a user may
    // still authorize it again.
    Client c = it->second;
    if (auto row = stored(clientId)) c.lastUsedAt = row->lastUsedAt;
    return c;
  }
  if (ClientMetadataFetcher::isMetadataUrl(clientId)) {
    if (!metadataDocuments_) {
      problem = "client metadata documents are not accepted by this server";
      return std::nullopt;
    }
    // As for configured clients, a revocation is not a ban: the document's
    // URL names an application many users may run.
    auto fetched = fetcher_.fetch(clientId);
    if (!fetched.ok) {
      problem = "the client metadata document could not be used: " + fetched.error;
      return std::nullopt;
    }
    return fromDocument(clientId, fetched.document, problem);
  }
  auto row = stored(clientId);
  if (!row) problem = "unknown client";
  return row;
}

std::optional<Client> ClientRegistry::fromDocument(const std::string& url, const json::ObjectPtr& document,
                                                   std::string& problem) {
  if (document->has("client_secret") || document->has("client_secret_expires_at")) {
    problem = "a client metadata document must not contain a secret";
    return std::nullopt;
  }
  const std::string method = json::getString(document, "token_endpoint_auth_method").value_or("none");
  if (method != "none") {
    problem = "a client metadata document must use token_endpoint_auth_method none";
    return std::nullopt;
  }
  Client client;
  json::ObjectPtr metadata = json::clone(document);
  metadata->remove("client_id");
  RegistrationResponse checked = validate(metadata, client);
  if (checked.status != 201) {
    problem = json::getString(checked.body, "error_description").value_or("invalid client metadata");
    return std::nullopt;
  }
  if (client.name.empty()) {
    problem = "a client metadata document needs client_name";
    return std::nullopt;
  }
  client.clientId = url;
  client.kind = "cimd";
  client.authMethod = "none";
  // Remembered so `portcullis clients list` shows it and revocation sticks.
  auto existing = stored(url);
  db_.write([&](storage::Connection& c) {
    if (existing) {
      c.execute("UPDATE clients SET name = ?, metadata_json = ? WHERE client_id = ?",
                {Value(client.name), Value(json::stringify(client.metadata)), Value(url)});
    } else {
      c.execute("INSERT INTO clients (client_id, kind, name, metadata_json, created_at) VALUES (?, 'cimd', ?, ?, ?)",
                {Value(url), Value(client.name), Value(json::stringify(client.metadata)), Value(storage::nowMillis())});
    }
  });
  if (existing) {
    client.createdAt = existing->createdAt;
    client.lastUsedAt = existing->lastUsedAt;
  }
  return client;
}

RegistrationResponse ClientRegistry::validate(const json::ObjectPtr& metadata, Client& client) {
  auto uris = json::getArray(metadata, "redirect_uris");
  if (!uris || uris->size() == 0) return {400, error("invalid_redirect_uri", "redirect_uris must list at least one URI")};
  if (uris->size() > 20) return {400, error("invalid_redirect_uri", "at most 20 redirect URIs")};
  bool allLoopbackOrPrivate = true;
  for (const auto& u : *uris) {
    if (!json::isString(u)) return {400, error("invalid_redirect_uri", "redirect_uris must be strings")};
    const std::string uri = u.extract<std::string>();
    if (const std::string problem = redirectUriProblem(uri); !problem.empty()) {
      return {400, error("invalid_redirect_uri", problem + ": " + uri.substr(0, 200))};
    }
    allLoopbackOrPrivate = allLoopbackOrPrivate && !common::startsWith(common::toLower(uri), "https:");
    client.redirectUris.push_back(uri);
  }
  // application_type (OpenID Connect Registration): web clients redirect to
  // https only; native ones to loopback or private schemes. A client that
  // does not say is taken for what its redirect URIs look like.
  const auto declared = json::getString(metadata, "application_type");
  if (declared && *declared != "web" && *declared != "native") {
    return {400, error("invalid_client_metadata", "application_type must be web or native")};
  }
  client.applicationType = declared.value_or(allLoopbackOrPrivate ? "native" : "web");
  if (client.applicationType == "web" && allLoopbackOrPrivate) {
    return {400, error("invalid_redirect_uri", "a web application must redirect to https URIs")};
  }
  client.authMethod = json::getString(metadata, "token_endpoint_auth_method").value_or("client_secret_basic");
  if (client.authMethod != "none" && client.authMethod != "client_secret_basic" &&
      client.authMethod != "client_secret_post") {
    return {400, error("invalid_client_metadata",
                       "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post")};
  }
  if (metadata->has("grant_types")) {
    auto grants = json::getArray(metadata, "grant_types");
    if (!grants) return {400, error("invalid_client_metadata", "grant_types must be an array")};
    client.grantTypes.clear();
    for (const auto& g : *grants) {
      const std::string grant = json::isString(g) ? g.extract<std::string>() : "";
      if (grant != "authorization_code" && grant != "refresh_token" && grant != "client_credentials") {
        return {400, error("invalid_client_metadata", "unsupported grant type " + grant)};
      }
      // A token without a user may only go to a client the operator named:
      // anyone can register, so a registered client never acts for itself.
      if (grant == "client_credentials") {
        return {400, error("invalid_client_metadata",
                           "client_credentials is only for clients configured by the operator (auth.clients)")};
      }
      client.grantTypes.push_back(grant);
    }
  }
  if (auto responses = json::getArray(metadata, "response_types")) {
    for (const auto& r : *responses) {
      if (!json::isString(r) || r.extract<std::string>() != "code") {
        return {400, error("invalid_client_metadata", "only the code response type is supported")};
      }
    }
  }
  client.name = json::getString(metadata, "client_name").value_or("");
  if (client.name.size() > 200) return {400, error("invalid_client_metadata", "client_name is too long")};
  client.clientUri = json::getString(metadata, "client_uri").value_or("");
  if (!client.clientUri.empty() && !common::startsWith(client.clientUri, "https://")) {
    return {400, error("invalid_client_metadata", "client_uri must be an https URL")};
  }
  client.scope = json::getString(metadata, "scope").value_or("");
  client.metadata = json::makeObject();
  client.metadata->set("redirect_uris", toArray(client.redirectUris));
  client.metadata->set("token_endpoint_auth_method", client.authMethod);
  client.metadata->set("grant_types", toArray(client.grantTypes));
  json::ArrayPtr responseTypes = json::makeArray();
  responseTypes->add(std::string("code"));
  client.metadata->set("response_types", responseTypes);
  client.metadata->set("application_type", client.applicationType);
  if (!client.name.empty()) client.metadata->set("client_name", client.name);
  if (!client.clientUri.empty()) client.metadata->set("client_uri", client.clientUri);
  if (!client.scope.empty()) client.metadata->set("scope", client.scope);
  for (const char* field : {"software_id", "software_version", "contacts", "tos_uri", "policy_uri", "logo_uri"}) {
    if (metadata->has(field)) client.metadata->set(field, metadata->get(field));
  }
  return {201, json::makeObject()};
}

json::ObjectPtr ClientRegistry::describe(const Client& client, const std::string& uriBase) const {
  json::ObjectPtr body = json::clone(client.metadata);
  body->set("client_id", client.clientId);
  body->set("client_id_issued_at", client.createdAt / 1000);
  if (!uriBase.empty()) body->set("registration_client_uri", uriBase + "/" + client.clientId);
  return body;
}

RegistrationResponse ClientRegistry::registerClient(const json::ObjectPtr& metadata, const std::string& uriBase) {
  Client client;
  RegistrationResponse checked = validate(metadata, client);
  if (checked.status != 201) return checked;
  client.clientId = "pc_" + common::randomToken(18);
  client.kind = "dcr";
  client.createdAt = storage::nowMillis();
  std::string secret;
  if (client.confidential()) {
    secret = common::randomToken(32);
    client.secretHash = common::sha256Hex(secret);
  }
  const std::string registrationToken = common::randomToken(32);
  client.registrationTokenHash = common::sha256Hex(registrationToken);
  db_.write([&](storage::Connection& c) {
    c.execute("INSERT INTO clients (client_id, kind, name, metadata_json, secret_hash, registration_token_hash, "
              "created_at) VALUES (?, 'dcr', ?, ?, ?, ?, ?)",
              {Value(client.clientId), Value(client.name), Value(json::stringify(client.metadata)),
               client.secretHash.empty() ? Value() : Value(client.secretHash), Value(client.registrationTokenHash),
               Value(client.createdAt)});
  });
  common::logger("oauth").information("registered client %s (%s)", client.clientId,
                                      client.name.empty() ? std::string("unnamed") : client.name);
  json::ObjectPtr body = describe(client, uriBase);
  if (!secret.empty()) {
    body->set("client_secret", secret);
    body->set("client_secret_expires_at", 0);
  }
  body->set("registration_access_token", registrationToken);
  return {201, body};
}

std::optional<Client> ClientRegistry::authorizeManagement(const std::string& clientId, const std::string& token) {
  auto client = stored(clientId);
  if (!client || client->kind != "dcr" || client->revoked || token.empty() ||
      !common::constantTimeEquals(common::sha256Hex(token), client->registrationTokenHash)) {
    return std::nullopt;
  }
  return client;
}

RegistrationResponse ClientRegistry::read(const std::string& clientId, const std::string& token,
                                          const std::string& uriBase) {
  auto client = authorizeManagement(clientId, token);
  if (!client) return {401, error("invalid_token", "the registration access token is not valid for this client")};
  return {200, describe(*client, uriBase)};
}

RegistrationResponse ClientRegistry::update(const std::string& clientId, const std::string& token,
                                            const json::ObjectPtr& metadata, const std::string& uriBase) {
  auto existing = authorizeManagement(clientId, token);
  if (!existing) return {401, error("invalid_token", "the registration access token is not valid for this client")};
  if (auto id = json::getString(metadata, "client_id"); id && *id != clientId) {
    return {400, error("invalid_client_metadata", "client_id does not match")};
  }
  Client client;
  RegistrationResponse checked = validate(metadata, client);
  if (checked.status != 201) return checked;
  if (client.authMethod != existing->authMethod) {
    return {400, error("invalid_client_metadata", "token_endpoint_auth_method cannot change")};
  }
  client.clientId = clientId;
  client.kind = "dcr";
  client.createdAt = existing->createdAt;
  db_.write([&](storage::Connection& c) {
    c.execute("UPDATE clients SET name = ?, metadata_json = ? WHERE client_id = ?",
              {Value(client.name), Value(json::stringify(client.metadata)), Value(clientId)});
  });
  return {200, describe(client, uriBase)};
}

RegistrationResponse ClientRegistry::remove(const std::string& clientId, const std::string& token) {
  if (!authorizeManagement(clientId, token)) {
    return {401, error("invalid_token", "the registration access token is not valid for this client")};
  }
  std::string problem;
  revoke(clientId, problem);
  return {204, nullptr};
}

bool ClientRegistry::verifySecret(const Client& client, const std::string& secret) const {
  return !client.secretHash.empty() && !secret.empty() &&
         common::constantTimeEquals(common::sha256Hex(secret), client.secretHash);
}

std::vector<Client> ClientRegistry::list() {
  std::vector<Client> out;
  std::map<std::string, Client> rows;
  for (const auto& row : db_.query(std::string("SELECT ") + kColumns + " FROM clients ORDER BY created_at")) {
    Client c = fromRow(row);
    rows[c.clientId] = c;
  }
  for (auto [id, c] : configured_) {
    if (auto it = rows.find(id); it != rows.end()) {
      c.revokedAt = it->second.revokedAt;
      c.lastUsedAt = it->second.lastUsedAt;
      c.createdAt = it->second.createdAt;
      rows.erase(it);
    }
    out.push_back(c);
  }
  for (auto& [id, c] : rows) out.push_back(c);
  return out;
}

void ClientRegistry::touch(const std::string& clientId) {
  db_.write([&](storage::Connection& c) { touch(c, clientId); });
}

void ClientRegistry::touch(storage::Connection& c, const std::string& clientId) {
  const int64_t now = storage::nowMillis();
  if (c.execute("UPDATE clients SET last_used_at = ? WHERE client_id = ?", {Value(now), Value(clientId)}) == 0 &&
      configured_.count(clientId) != 0) {
    c.execute("INSERT INTO clients (client_id, kind, name, metadata_json, created_at, last_used_at) "
              "VALUES (?, 'configured', ?, '{}', ?, ?)",
              {Value(clientId), Value(configured_[clientId].name), Value(now), Value(now)});
  }
}

bool ClientRegistry::revoke(const std::string& clientId, std::string& problem) {
  auto configured = configured_.find(clientId);
  if (configured != configured_.end() && configured->second.systemManaged) {
    problem = "the client " + clientId + " is system-managed (set in the configuration) and cannot be revoked";
    return false;
  }
  const bool known = configured != configured_.end() || stored(clientId).has_value();
  if (!known) {
    problem = "no client " + clientId;
    return false;
  }
  const int64_t now = storage::nowMillis();
  db_.write([&](storage::Connection& c) {
    if (c.execute("UPDATE clients SET revoked_at = ? WHERE client_id = ?", {Value(now), Value(clientId)}) == 0) {
      c.execute("INSERT INTO clients (client_id, kind, name, metadata_json, created_at, revoked_at) "
                "VALUES (?, 'configured', ?, '{}', ?, ?)",
                {Value(clientId), Value(clientId), Value(now), Value(now)});
    }
    c.execute("UPDATE grants SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL", {Value(now), Value(clientId)});
    c.execute("DELETE FROM refresh_tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = ?)", {Value(clientId)});
    c.execute("DELETE FROM consents WHERE client_id = ?", {Value(clientId)});
    recordChange(c, change_kind::kClient, clientId);
  });
  return true;
}

}  // namespace portcullis::oauth
