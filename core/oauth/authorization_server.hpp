#pragma once
// The authorization-server half: discovery documents (RFC 8414, OpenID
// discovery, RFC 9728 protected-resource metadata), the authorization
// endpoint with its sign-in and consent pages, the token endpoint
// (authorization_code with PKCE S256, refresh_token with rotation,
// client_credentials), dynamic registration (RFC 7591/7592), revocation
// (RFC 7009), introspection (RFC 7662), the JWKS, and the one-time setup
// page for the first administrator. Every error uses the code and status
// its RFC names and never redirects to an unregistered URI.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/oauth/browser_sessions.hpp"
#include "core/oauth/client_registry.hpp"
#include "core/oauth/grant_store.hpp"
#include "core/oauth/http.hpp"
#include "core/oauth/identity.hpp"
#include "core/oauth/key_ring.hpp"
#include "core/oauth/resource_server.hpp"
#include "core/oauth/user_directory.hpp"

namespace portcullis::oauth {

struct AuthorizationServerOptions {
  std::chrono::milliseconds accessTokenTtl{3'600'000};
  std::chrono::milliseconds refreshTokenTtl{14LL * 86'400'000};
  std::chrono::milliseconds codeTtl{60'000};
  std::chrono::milliseconds consentTtl{30LL * 86'400'000};
  bool allowRegistration = true;
  size_t maxRegistrationBytes = 16 * 1024;
  bool metadataDocuments = true;
  std::string resourceName = "Portcullis";
};

// What a scope gives access to for a user (names of tools, resources or
// prompts), for the consent page.
using ScopeUnlocks = std::function<std::vector<std::string>(const std::string& scope, const User& user)>;

class AuthorizationServer {
 public:
  AuthorizationServer(ClientRegistry& clients, GrantStore& grants, KeyRing& keys, UserDirectory& users,
                      IdentityProvider& identity, BrowserSessions& sessions, const IssuerPolicy& issuers,
                      storage::Database& db, AuthorizationServerOptions options, ScopeUnlocks unlocks);

  // The response for a path the authorization server owns, or nullopt.
  std::optional<HttpResponse> handle(const HttpRequest& request);
  static bool owns(const std::string& path);

  // The WWW-Authenticate value of a 401 or 403 from the MCP endpoint.
  std::string challenge(const std::string& base, const std::string& error, const std::string& description,
                        const std::string& scope) const;
  std::string resourceMetadataUrl(const std::string& base) const;

  // For the server's other browser pages (linked accounts): the request's
  // browser session when it is signed in as a user who is not disabled.
  std::optional<BrowserSession> signedInSession(const HttpRequest& r);
  // The sign-in page; after signing in, the browser goes to `returnTo`
  // (a path on this server). `purpose` says what signing in is for.
  HttpResponse signInPage(const HttpRequest& r, const std::string& returnTo, const std::string& purpose);
  // The form's CSRF token belongs to the session, and the browser, if it
  // says, posted from this server.
  bool csrfValid(const HttpRequest& r, const BrowserSession& session, const Pairs& form) const;
  UserDirectory& users() { return users_; }

  // A one-time token for /setup, when there is no user yet.
  std::string createSetupToken(std::chrono::milliseconds ttl);

 private:
  HttpResponse protectedResource(const HttpRequest& r);
  HttpResponse serverMetadata(const HttpRequest& r, bool openid);
  HttpResponse jwks(const HttpRequest& r);
  HttpResponse authorize(const HttpRequest& r);
  HttpResponse login(const HttpRequest& r);
  HttpResponse loginLink(const HttpRequest& r);
  HttpResponse consent(const HttpRequest& r);
  HttpResponse consentAgain(const HttpRequest& r);  // GET after sign-in
  HttpResponse token(const HttpRequest& r);
  HttpResponse registration(const HttpRequest& r);
  HttpResponse revoke(const HttpRequest& r);
  HttpResponse introspect(const HttpRequest& r);
  HttpResponse setup(const HttpRequest& r);

  // After sign-in or consent: a code for the flow, or the consent page.
  HttpResponse continueFlow(const HttpRequest& r, BrowserSession& session, const std::string& flowId);
  HttpResponse consentPage(const HttpRequest& r, BrowserSession& session, const std::string& flowId,
                           const AuthorizationRequest& flow, const Client& client, const User& user);
  HttpResponse loginPage(const HttpRequest& r, BrowserSession& session, const std::string& flowId,
                         const std::string& error, const std::string& notice, const std::string& username);
  HttpResponse redirectWithCode(const HttpRequest& r, const AuthorizationRequest& flow, const User& user, int status);
  HttpResponse redirectError(const HttpRequest& r, const std::string& redirectUri, const std::string& state,
                             const std::string& error, const std::string& description, int status);

  struct ClientAuth {
    std::optional<Client> client;
    HttpResponse failure;
  };
  ClientAuth authenticateClient(const HttpRequest& r, const Pairs& form);
  // recordUse: update the grant's and the client's last use (a refresh
  // rotation already did, in its own transaction).
  json::ObjectPtr issueTokens(const HttpRequest& r, const Grant& grant, bool refresh, bool recordUse = true);
  BrowserSession sessionFor(const HttpRequest& r, HttpResponse& response, bool create);
  void setSessionCookie(const HttpRequest& r, HttpResponse& response, const BrowserSession& session) const;

  ClientRegistry& clients_;
  GrantStore& grants_;
  KeyRing& keys_;
  UserDirectory& users_;
  IdentityProvider& identity_;
  BrowserSessions& sessions_;
  const IssuerPolicy& issuers_;
  storage::Database& db_;
  AuthorizationServerOptions options_;
  ScopeUnlocks unlocks_;
};

// Security headers for every HTML page: no framing, no referrer, no caching.
void htmlHeaders(HttpResponse& response);
// An HTML page with those headers.
HttpResponse page(int status, const std::string& html);
// A redirect that is neither cached nor tells the next site where it came from.
HttpResponse redirect(int status, const std::string& location);
HttpResponse jsonResponse(int status, const json::ObjectPtr& body);
HttpResponse oauthError(int status, const std::string& error, const std::string& description);

}  // namespace portcullis::oauth
