#pragma once
// Shared by the oauth unit suites: a temporary database, the stores of the
// authorization server wired the way AuthService wires them, a fake
// identity provider, and a small "browser" that drives the authorization
// server's endpoints through HttpRequest values (cookies, hidden form
// fields, redirects).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "core/common/crypto.hpp"
#include "core/common/json.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/api_token_store.hpp"
#include "core/oauth/authorization_server.hpp"
#include "core/oauth/browser_sessions.hpp"
#include "core/oauth/change_log.hpp"
#include "core/oauth/client_registry.hpp"
#include "core/oauth/grant_store.hpp"
#include "core/oauth/http.hpp"
#include "core/oauth/identity.hpp"
#include "core/oauth/jwt.hpp"
#include "core/oauth/key_ring.hpp"
#include "core/oauth/resource_server.hpp"
#include "core/oauth/scopes.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/storage/database.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace portcullis::oauth::testing {

namespace json = common::json;
using namespace std::chrono_literals;

using storage::testing::TempDir;

inline std::string testSecret(const std::string& seed = "unit test secret") {
  return common::sha256(seed);
}

// A JSON object from text; fails the test (and yields {}) when it is not one.
inline json::ObjectPtr object(const std::string& text) {
  try {
    return json::parseObject(text);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a JSON object (" << e.what() << "): " << text.substr(0, 300);
    return json::makeObject();
  }
}

inline std::string b64(const std::string& text) { return common::base64UrlEncode(text); }

// A compact JWS with any header and payload, signed by `key` (or carrying
// `signature` verbatim when given).
inline std::string forgeJwt(const std::string& header, const std::string& payload,
                            const SigningKey* key,
                            const std::optional<std::string>& signature = std::nullopt) {
  const std::string input = b64(header) + "." + b64(payload);
  return input + "." + (signature ? *signature : b64(key->sign(input)));
}

// The decoded query parameters of a URL ("https://x/cb?code=1&state=2").
inline Pairs queryOf(const std::string& url) {
  Pairs out;
  const size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::string query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  EXPECT_TRUE(parseForm(query, out)) << url;
  return out;
}

inline std::optional<std::string> param(const Pairs& pairs, const std::string& name) {
  for (const auto& [n, v] : pairs) {
    if (n == name) return v;
  }
  return std::nullopt;
}

inline std::optional<std::string> headerOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (common::iequals(n, name)) return v;
  }
  return std::nullopt;
}

inline std::vector<std::string> headersOf(const HttpResponse& r, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : r.headers) {
    if (common::iequals(n, name)) out.push_back(v);
  }
  return out;
}

// The value of a hidden form field in a page.
inline std::optional<std::string> hiddenField(const std::string& html, const std::string& name) {
  const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  std::smatch m;
  if (!std::regex_search(html, m, re)) return std::nullopt;
  return m[1].str();
}

inline std::string form(const Pairs& pairs) {
  std::string out;
  for (const auto& [n, v] : pairs)
    out += (out.empty() ? "" : "&") + formEncode(n) + "=" + formEncode(v);
  return out;
}

// RFC 7636 S256.
inline std::string challengeFor(const std::string& verifier) {
  return b64(common::sha256(verifier));
}

// ---------------------------------------------------------------------------
// An identity provider with a fixed set of passwords.

class FakeIdentity : public IdentityProvider {
 public:
  const std::string& name() const override { return name_; }
  std::string loginForm(const json::ObjectPtr&) override {
    return "<input name=\"username\"><input name=\"password\" type=\"password\">";
  }
  Authentication authenticate(const json::ObjectPtr& fields) override {
    lastFields = fields;
    Authentication a;
    if (auto token = json::getString(fields, "magic_token")) {
      auto it = links.find(*token);
      if (it == links.end()) {
        a.message = "This sign-in link is not valid.";
        return a;
      }
      a.ok = true;
      a.username = it->second;
      links.erase(it);
      return a;
    }
    const auto user = json::getString(fields, "username").value_or("");
    const auto password = json::getString(fields, "password").value_or("");
    auto it = passwords.find(common::toLower(user));
    if (it == passwords.end() || it->second != password) {
      a.message = "Invalid username or password.";
      return a;
    }
    a.ok = true;
    a.username = common::toLower(user);
    return a;
  }
  json::ObjectPtr admin(const json::ObjectPtr& command) override {
    const auto name = json::getString(command, "command").value_or("");
    if (name == "set_password") {
      const auto password = json::getString(command, "password").value_or("");
      if (password.size() < 8)
        throw std::runtime_error("the password must be at least 8 characters");
      passwords[json::getString(command, "username").value_or("")] = password;
    } else if (name == "send_magic_link") {
      sentLinks.push_back(json::getString(command, "link").value_or(""));
    } else {
      throw std::runtime_error("unknown command " + name);
    }
    return json::makeObject();
  }

  std::map<std::string, std::string> passwords;
  std::map<std::string, std::string> links;  // magic token -> username
  std::vector<std::string> sentLinks;
  json::ObjectPtr lastFields;

 private:
  std::string name_ = "fake";
};

// ---------------------------------------------------------------------------
// The stores and both servers, as AuthService builds them.

struct WorldOptions {
  std::string alg = "ES256";
  std::string publicUrl;  // empty: per request
  std::chrono::milliseconds accessTokenTtl{3'600'000};
  std::vector<config::ConfiguredClient> configured;
  AuthorizationServerOptions server;
  FetcherOptions fetcher;
  bool metadataDocuments = false;
};

class World {
 public:
  explicit World(WorldOptions options = {})
      : options_(std::move(options)),
        db(storage::StorageOptions{dir.file("oauth.db")}),
        keys(db, testSecret(), options_.alg, options_.accessTokenTtl),
        users(db),
        apiTokens(db),
        grants(db),
        clients(db, options_.configured, options_.fetcher, options_.metadataDocuments),
        sessions(12h),
        issuers(options_.publicUrl, "/mcp") {
    keys.load();
    resource = std::make_unique<ResourceServer>(keys, users, apiTokens, db, issuers,
                                                options_.accessTokenTtl);
    resource->load();
    AuthorizationServerOptions serverOptions = options_.server;
    serverOptions.accessTokenTtl = options_.accessTokenTtl;
    serverOptions.metadataDocuments = options_.metadataDocuments;
    authorization = std::make_unique<AuthorizationServer>(
        clients, grants, keys, users, identity, sessions, issuers, db, serverOptions, nullptr);
  }

  // Applies every change recorded since the last call, as the poller does.
  void poll() {
    for (const auto& change : changesSince(db, since_)) {
      if (change.kind == change_kind::kSigningKey) {
        keys.load();
      } else {
        resource->apply(change);
      }
    }
    since_ = storage::nowMillis() - 1;
  }

  User addUser(const std::string& username, const std::string& password,
               const std::string& role = "member") {
    User u = users.create(username, username + "@example.com", role, "fake");
    identity.passwords[u.username] = password;
    return u;
  }

  // Claims of an access token as the authorization server issues them.
  json::ObjectPtr claims(const std::string& sub, const std::string& gid,
                         const std::string& base = kBase) {
    const int64_t now = storage::nowMillis() / 1000;
    json::ObjectPtr c = json::makeObject();
    c->set("iss", base);
    c->set("sub", sub);
    c->set("aud", base + "/mcp");
    c->set("client_id", std::string("client-1"));
    c->set("scope", std::string("tools:read tools:call"));
    c->set("iat", now);
    c->set("nbf", now);
    c->set("exp", now + 3600);
    c->set("jti", common::randomToken(8));
    c->set("gid", gid);
    return c;
  }

  static constexpr const char* kBase = "http://127.0.0.1:8080";

  WorldOptions options_;
  TempDir dir;
  storage::Database db;
  KeyRing keys;
  UserDirectory users;
  ApiTokenStore apiTokens;
  GrantStore grants;
  ClientRegistry clients;
  BrowserSessions sessions;
  IssuerPolicy issuers;
  FakeIdentity identity;
  std::unique_ptr<ResourceServer> resource;
  std::unique_ptr<AuthorizationServer> authorization;

 private:
  int64_t since_ = 0;
};

// ---------------------------------------------------------------------------
// Requests as the transport builds them, and a browser with a cookie jar.

inline HttpRequest makeRequest(const std::string& method, const std::string& path,
                               const Pairs& query = {}, const std::string& body = {},
                               const Pairs& headers = {}, const std::string& base = World::kBase) {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.query = query;
  r.body = body;
  r.headers = headers;
  r.baseUrl = base;
  r.secure = common::startsWith(base, "https://");
  r.clientAddress = "127.0.0.1";
  return r;
}

inline HttpRequest tokenRequest(const Pairs& fields, const Pairs& extraHeaders = {},
                                const std::string& base = World::kBase) {
  Pairs headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  headers.insert(headers.end(), extraHeaders.begin(), extraHeaders.end());
  return makeRequest("POST", "/oauth/token", {}, form(fields), headers, base);
}

class Browser {
 public:
  explicit Browser(AuthorizationServer& server, std::string base = World::kBase)
      : server_(server), base_(std::move(base)) {}

  HttpResponse get(const std::string& path, const Pairs& query = {}, Pairs headers = {}) {
    return send(makeRequest("GET", path, query, {}, withCookies(std::move(headers)), base_));
  }
  HttpResponse post(const std::string& path, const Pairs& fields, Pairs headers = {}) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return send(
        makeRequest("POST", path, {}, form(fields), withCookies(std::move(headers)), base_));
  }
  // Follows a relative Location on this server with a GET.
  HttpResponse follow(const HttpResponse& redirect) {
    const std::string location = headerOf(redirect, "Location").value_or("");
    const size_t q = location.find('?');
    return get(location.substr(0, q), queryOf(location));
  }

  std::map<std::string, std::string> cookies;
  std::vector<std::string> setCookies;  // every Set-Cookie value seen
  std::string base() const { return base_; }

 private:
  Pairs withCookies(Pairs headers) {
    std::string cookie;
    for (const auto& [n, v] : cookies) cookie += (cookie.empty() ? "" : "; ") + n + "=" + v;
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    return headers;
  }
  HttpResponse send(const HttpRequest& request) {
    auto response = server_.handle(request);
    EXPECT_TRUE(response.has_value()) << request.path;
    if (!response) return {};
    for (const auto& value : headersOf(*response, "Set-Cookie")) {
      setCookies.push_back(value);
      const std::string pair = value.substr(0, value.find(';'));
      const size_t eq = pair.find('=');
      cookies[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    return *response;
  }

  AuthorizationServer& server_;
  std::string base_;
};

}  // namespace portcullis::oauth::testing
