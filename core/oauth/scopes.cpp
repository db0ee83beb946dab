#include "core/oauth/scopes.hpp"

#include <algorithm>
#include <mutex>

#include "core/common/text.hpp"

namespace portcullis::oauth {

namespace json = common::json;

namespace {
std::mutex policyScopesMutex;
std::vector<ScopeInfo>& policyScopes() {
  static std::vector<ScopeInfo> scopes;
  return scopes;
}
}  // namespace

std::vector<ScopeInfo> mcpScopes() {
  std::vector<ScopeInfo> out{
      {"tools:read", "See which tools you can use"},
      {"tools:call", "Use tools on your behalf"},
      {"resources:read", "Read resources you have access to"},
      {"prompts:read", "Use prompts you have access to"},
  };
  std::lock_guard lock(policyScopesMutex);
  out.insert(out.end(), policyScopes().begin(), policyScopes().end());
  return out;
}

void setPolicyScopes(std::vector<ScopeInfo> scopes) {
  std::lock_guard lock(policyScopesMutex);
  policyScopes() = std::move(scopes);
}

bool isOpenIdScope(const std::string& scope) {
  return scope == "openid" || scope == "profile" || scope == "email" || scope == "offline_access";
}

std::vector<std::string> splitScopes(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& part : common::split(text, ' ')) {
    if (!part.empty() && std::find(out.begin(), out.end(), part) == out.end()) out.push_back(part);
  }
  return out;
}

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

bool hasScope(const std::vector<std::string>& granted, const std::string& scope) {
  return std::find(granted.begin(), granted.end(), scope) != granted.end();
}

std::string requiredScope(const std::string& method, const json::ObjectPtr& params) {
  if (method == "tools/list") return "tools:read";
  if (method == "tools/call" || common::startsWith(method, "tasks/")) return "tools:call";
  if (common::startsWith(method, "resources/")) return "resources:read";
  if (common::startsWith(method, "prompts/")) return "prompts:read";
  if (method == "subscriptions/listen") {
    // Updates of named resources are a resource subscription.
    auto uris = json::getArray(json::getObject(params, "notifications"), "resourceSubscriptions");
    return uris && uris->size() > 0 ? "resources:read" : "";
  }
  if (method == "completion/complete") {
    auto ref = json::getObject(params, "ref");
    return json::getString(ref, "type") == std::optional<std::string>("ref/resource") ? "resources:read"
                                                                                      : "prompts:read";
  }
  return {};
}

std::vector<std::string> normaliseRequest(const std::vector<std::string>& requested) {
  std::vector<std::string> out;
  for (const auto& info : mcpScopes()) {
    if (requested.empty() || hasScope(requested, info.name)) out.push_back(info.name);
  }
  for (const auto& s : requested) {
    if (isOpenIdScope(s) && !hasScope(out, s)) out.push_back(s);
  }
  // Asking only for OpenID scopes (some clients' fallback) means everything.
  if (std::none_of(out.begin(), out.end(), [](const std::string& s) { return !isOpenIdScope(s); })) {
    for (const auto& info : mcpScopes()) out.push_back(info.name);
  }
  return out;
}

}  // namespace portcullis::oauth
