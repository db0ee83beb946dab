#include "core/transport/bearer_gate.hpp"

#include <algorithm>

#include "core/oauth/scopes.hpp"
#include "core/transport/guards.hpp"

namespace portcullis::transport {

mcp::Principal BearerGate::principalOf(const oauth::Caller& caller) {
  mcp::Principal p;
  p.subject = caller.subject;
  p.username = caller.username;
  p.name = caller.name;
  p.email = caller.email;
  if (!caller.role.empty()) p.roles = {caller.role};
  p.groups = caller.groups;
  p.scopes = caller.scopes;
  p.clientId = caller.clientId;
  p.apiTokenId = caller.apiTokenId;
  p.authenticated = true;
  return p;
}

std::optional<mcp::Principal> BearerGate::admit(Exchange& exchange) const {
  const std::string base = publicUrl_.baseFor(exchange);
  const oauth::BearerCheck check = resource_.check(exchange.header("Authorization"), base);
  if (check.result == oauth::BearerCheck::Result::Ok) return principalOf(check.caller);
  const bool missing = check.result == oauth::BearerCheck::Result::Missing;
  // Without any credentials the challenge carries no error code (RFC 6750 §3.1).
  exchange.setHeader("WWW-Authenticate", authorization_.challenge(base, missing ? "" : "invalid_token",
                                                                  missing ? "" : check.reason, ""));
  exchange.respondJson(401, transportError(jsonrpc::codes::kServerError,
                                           missing ? "Unauthorized: sign-in required"
                                                   : "Unauthorized: " + check.reason));
  return std::nullopt;
}

bool BearerGate::permits(Exchange& exchange, const mcp::Principal& principal,
                         const std::vector<const jsonrpc::Message*>& messages,
                         const std::vector<std::string>& policyScopes) const {
  std::vector<std::string> missing;
  for (const auto& needed : policyScopes) {
    if (!oauth::hasScope(principal.scopes, needed) &&
        std::find(missing.begin(), missing.end(), needed) == missing.end()) {
      missing.push_back(needed);
    }
  }
  for (const jsonrpc::Message* message : messages) {
    if (!message->isRequest() && !message->isNotification()) continue;
    const std::string needed = oauth::requiredScope(message->method, message->params);
    if (needed.empty() || oauth::hasScope(principal.scopes, needed)) continue;
    if (std::find(missing.begin(), missing.end(), needed) == missing.end()) missing.push_back(needed);
  }
  if (missing.empty()) return true;
  // The scopes already granted plus the missing ones, so that a client which
  // asks for exactly what the challenge names keeps what it had.
  std::vector<std::string> wanted = principal.scopes;
  wanted.insert(wanted.end(), missing.begin(), missing.end());
  wanted = oauth::normaliseRequest(wanted);
  const std::string base = publicUrl_.baseFor(exchange);
  exchange.setHeader("WWW-Authenticate",
                     authorization_.challenge(base, "insufficient_scope",
                                              "this request needs the scope " + oauth::joinScopes(missing),
                                              oauth::joinScopes(wanted)));
  exchange.respondJson(403, transportError(jsonrpc::codes::kServerError,
                                           "Forbidden: this request needs the scope " + oauth::joinScopes(missing)));
  return false;
}

}  // namespace portcullis::transport
