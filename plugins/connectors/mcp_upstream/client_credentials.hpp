#pragma once
// OAuth 2.0 client credentials towards an upstream (RFC 6749 §4.4): the
// connector's own client id and secret buy an access token at the
// upstream's token endpoint, which every request to the upstream carries
// until it is about to expire or the upstream refuses it. The caller's own
// token is never involved.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "credentials.hpp"

namespace portcullis::mcp_upstream {

struct ClientCredentialsSettings {
  std::string tokenUrl;
  std::string clientId;
  std::string clientSecret;  // resolved from the config's string, {env} or {file}
  std::string scope;         // sent when not empty
  std::string resource;      // RFC 8707; sent when not empty
  bool basic = true;         // client_secret_basic; false: client_secret_post
};

// The parts of a token request, so they can be checked without a server.
struct TokenRequest {
  std::string body;           // application/x-www-form-urlencoded
  std::string authorization;  // "Basic ..." for client_secret_basic, else empty
};
TokenRequest tokenRequest(const ClientCredentialsSettings& settings);

struct IssuedToken {
  std::string accessToken;
  std::chrono::seconds lifetime;  // expires_in, or an hour when absent
};
// Reads the token endpoint's answer; throws UpstreamError naming the OAuth
// error (or what is wrong with the answer) otherwise.
IssuedToken parseTokenResponse(int status, const std::string& body);

// application/x-www-form-urlencoded value encoding (RFC 6749 appendix B).
std::string formEncode(const std::string& value);

class ClientCredentials : public ConnectorCredentials {
 public:
  ClientCredentials(ClientCredentialsSettings settings, std::chrono::milliseconds connectTimeout,
                    std::chrono::milliseconds requestTimeout);

  // "Bearer <token>", fetching a new token when none is held or the one held
  // expires within a minute. Throws UpstreamError when the endpoint refuses.
  std::string authorization() override;
  // The upstream answered 401: the next call fetches a new token.
  void forget() override;

 private:
  IssuedToken fetch() const;

  ClientCredentialsSettings settings_;
  std::chrono::milliseconds connectTimeout_;
  std::chrono::milliseconds requestTimeout_;
  std::mutex mutex_;  // one fetch at a time; the others wait for its token
  std::string token_;
  std::chrono::steady_clock::time_point expiresAt_{};
};

}  // namespace portcullis::mcp_upstream
