#pragma once
// Sign-in enforcement at the MCP endpoints: who the bearer token says is
// calling (401 with a challenge naming the protected-resource metadata when
// there is no valid token), and whether the token's scopes cover what a
// request asks for (403 insufficient_scope, naming every scope needed).

#include <optional>
#include <string>
#include <vector>

#include "core/jsonrpc/message.hpp"
#include "core/mcp/principal.hpp"
#include "core/oauth/authorization_server.hpp"
#include "core/oauth/resource_server.hpp"
#include "core/transport/exchange.hpp"
#include "core/transport/public_url.hpp"

namespace portcullis::transport {

class BearerGate {
 public:
  BearerGate(oauth::ResourceServer& resource, const oauth::AuthorizationServer& authorization,
             const PublicUrl& publicUrl)
      : resource_(resource), authorization_(authorization), publicUrl_(publicUrl) {}

  // The caller, or nullopt after answering 401.
  std::optional<mcp::Principal> admit(Exchange& exchange) const;

  // Whether the caller's scopes cover every message and `policyScopes` (what
  // the policy needs for the primitives named); otherwise answers 403.
  bool permits(Exchange& exchange, const mcp::Principal& principal,
               const std::vector<const jsonrpc::Message*>& messages,
               const std::vector<std::string>& policyScopes = {}) const;

  static mcp::Principal principalOf(const oauth::Caller& caller);

 private:
  oauth::ResourceServer& resource_;
  const oauth::AuthorizationServer& authorization_;
  const PublicUrl& publicUrl_;
};

}  // namespace portcullis::transport
