#include "core/app/identity_assertion.hpp"

#include <algorithm>
#include <stdexcept>

namespace portcullis::app {

namespace {
common::json::ArrayPtr list(const std::vector<std::string>& items) {
  auto a = common::json::makeArray();
  for (const auto& item : items) a->add(item);
  return a;
}
}  // namespace

std::string IdentityAssertions::assertIdentity(const mcp::Principal& principal, const std::string& audience,
                                               std::chrono::milliseconds ttl) const {
  if (!principal.authenticated) throw std::runtime_error("the caller is anonymous");
  if (audience.empty() || audience.size() > 2048) throw std::runtime_error("the audience must be 1 to 2048 characters");
  if (ttl.count() <= 0) throw std::runtime_error("the lifetime must be positive");
  const auto seconds = std::clamp<std::chrono::seconds>(std::chrono::duration_cast<std::chrono::seconds>(ttl),
                                                        std::chrono::seconds(1), kMaxTtl);
  auto claims = common::json::makeObject();
  claims->set("sub", principal.subject);
  claims->set("aud", audience);
  if (!principal.username.empty()) claims->set("preferred_username", principal.username);
  if (!principal.name.empty()) claims->set("name", principal.name);
  if (!principal.email.empty()) claims->set("email", principal.email);
  claims->set("roles", list(principal.roles));
  claims->set("groups", list(principal.groups));
  if (!principal.clientId.empty()) claims->set("client_id", principal.clientId);
  std::string scope;
  for (const auto& s : principal.scopes) scope += (scope.empty() ? "" : " ") + s;
  claims->set("scope", scope);
  return auth_.signIdentityAssertion(baseUrl_(), claims, seconds);
}

}  // namespace portcullis::app
