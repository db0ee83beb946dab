#pragma once
// Scopes: what a token lets its client do with the MCP endpoint, and what
// each MCP method needs.

#include <string>
#include <vector>

#include "core/common/json.hpp"

namespace portcullis::oauth {

struct ScopeInfo {
  std::string name;
  std::string description;  // in words, for the consent page
};

// The scopes this server offers, in the order they are shown: the four MCP
// scopes, then the authorization policy's own (set once at start-up).
std::vector<ScopeInfo> mcpScopes();
void setPolicyScopes(std::vector<ScopeInfo> scopes);
// OpenID Connect scopes that are accepted (and ignored beyond the ID token
// contents); requesting them is never an error.
bool isOpenIdScope(const std::string& scope);

std::vector<std::string> splitScopes(const std::string& text);
std::string joinScopes(const std::vector<std::string>& scopes);
bool hasScope(const std::vector<std::string>& granted, const std::string& scope);

// The scope an MCP request needs; empty when any valid token will do.
std::string requiredScope(const std::string& method, const common::json::ObjectPtr& params);

// Keeps the scopes this server knows, in canonical order; an empty request
// means every MCP scope.
std::vector<std::string> normaliseRequest(const std::vector<std::string>& requested);

}  // namespace portcullis::oauth
