#pragma once
// The OAuth 2.1 client side of linked accounts: Portcullis acting as a
// client of an upstream's authorization server on behalf of one user.
// Discovery (RFC 9728 protected-resource metadata from the upstream URL,
// then RFC 8414 or OpenID discovery), dynamic registration (RFC 7591) when
// no client id is configured, the authorization URL with PKCE S256, the
// code exchange, refresh and revocation (RFC 7009). Every request goes to
// an http(s) URL with redirects off, a deadline and a size cap; answers are
// checked strictly and a refusal is an UpstreamOAuthError naming the OAuth
// error code.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace portcullis::accounts {

// What the operator configured for one account (a connector's
// `auth.user_oauth`). Only `resource` is required: the rest is discovered.
struct ProviderSettings {
  std::string resource;               // the upstream's URL (RFC 8707 resource, start of RFC 9728 discovery)
  std::string issuer;                 // skip RFC 9728: RFC 8414/OpenID discovery from this issuer
  std::string authorizationEndpoint;  // with tokenEndpoint: skip discovery altogether
  std::string tokenEndpoint;
  std::string revocationEndpoint;     // optional
  std::string clientId;               // empty: register dynamically
  std::string clientSecret;           // optional (client_secret_basic)
  std::vector<std::string> scopes;    // empty: the resource's scopes_supported, if any
};

struct Endpoints {
  std::string issuer;
  std::string authorizationEndpoint;
  std::string tokenEndpoint;
  std::string revocationEndpoint;    // empty when none
  std::string registrationEndpoint;  // empty when none
  std::vector<std::string> scopes;   // to ask for
};

struct ClientRegistration {
  std::string clientId;
  std::string clientSecret;  // empty for a public client
};

struct TokenSet {
  std::string accessToken;
  std::string refreshToken;  // empty when the server gave none
  std::string tokenType;     // "Bearer"
  std::string scope;
  int64_t expiresAt = 0;     // milliseconds since the epoch; 0 when unknown
};

class UpstreamOAuthError : public std::runtime_error {
 public:
  // `code`: the OAuth error code (invalid_grant, ...) or "" for transport
  // and format problems.
  UpstreamOAuthError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

struct UpstreamOAuthOptions {
  std::chrono::milliseconds timeout{10'000};
  size_t maxBytes = 256 * 1024;
  std::string caFile;  // extra trusted CA (development), empty: the system's
};

class UpstreamOAuthClient {
 public:
  explicit UpstreamOAuthClient(UpstreamOAuthOptions options = {});
  // Virtual so that tests of what uses it can stand in for an upstream.
  virtual ~UpstreamOAuthClient() = default;

  // The upstream's endpoints: configured ones as they are, otherwise
  // RFC 9728 from `resource` (the path-suffixed well-known URL first, then
  // the root one), then RFC 8414 from the first authorization server (then
  // OpenID discovery). Scopes: the configured ones, else the resource's
  // scopes_supported.
  virtual Endpoints discover(const ProviderSettings& settings);

  // RFC 7591 registration of a public client (token_endpoint_auth_method
  // none, grant types authorization_code and refresh_token) with one
  // redirect URI. Throws when the server has no registration endpoint.
  virtual ClientRegistration registerClient(const Endpoints& endpoints, const std::string& redirectUri,
                                    const std::string& clientName);

  // The URL to send the browser to (response_type=code, client_id,
  // redirect_uri, state, code_challenge with S256, resource, scope).
  static std::string authorizationUrl(const Endpoints& endpoints, const ClientRegistration& client,
                                      const std::string& redirectUri, const std::string& state,
                                      const std::string& codeChallenge, const std::string& resource);

  virtual TokenSet exchangeCode(const Endpoints& endpoints, const ClientRegistration& client, const std::string& code,
                        const std::string& redirectUri, const std::string& codeVerifier,
                        const std::string& resource);
  // A refresh that returns no new refresh token keeps the old one.
  virtual TokenSet refresh(const Endpoints& endpoints, const ClientRegistration& client, const std::string& refreshToken,
                   const std::string& resource);
  // RFC 7009; does nothing when there is no revocation endpoint.
  virtual void revoke(const Endpoints& endpoints, const ClientRegistration& client, const std::string& token);

 private:
  UpstreamOAuthOptions options_;
};

}  // namespace portcullis::accounts
