#pragma once
// Identity assertions for plugins and connectors: a short-lived JWT that
// tells a backend who is calling, signed with the authorization server's
// keys, so the caller's own access token never leaves the gateway.

#include <chrono>
#include <functional>
#include <string>

#include "core/mcp/provider.hpp"
#include "core/oauth/auth_service.hpp"

namespace portcullis::app {

class IdentityAssertions : public mcp::IdentityAsserter {
 public:
  static constexpr std::chrono::seconds kMaxTtl{300};

  // baseUrl: the URL this server is reached at (for the issuer), asked for
  // each assertion since the port is known only once the server listens.
  IdentityAssertions(oauth::AuthService& auth, std::function<std::string()> baseUrl)
      : auth_(auth), baseUrl_(std::move(baseUrl)) {}

  std::string assertIdentity(const mcp::Principal& principal, const std::string& audience,
                             std::chrono::milliseconds ttl) const override;

 private:
  oauth::AuthService& auth_;
  std::function<std::string()> baseUrl_;
};

}  // namespace portcullis::app
