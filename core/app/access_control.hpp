#pragma once
// The authorization policy put to work: compiled from the configuration (its
// errors reported with file and line, exit 78), asked by the dispatcher
// through mcp::AccessPolicy, and used for the consent page's list of what
// each scope unlocks, so that all three agree.

#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/mcp/access.hpp"
#include "core/mcp/catalog.hpp"
#include "core/mcp/principal.hpp"
#include "core/oauth/authorization_server.hpp"
#include "core/policy/policy.hpp"

namespace portcullis::app {

// The configuration's policy, or the open default without a policy section.
// Throws common::ConfigError naming each problem's file and line.
policy::Policy compilePolicy(const config::PolicySection& section);

policy::Subject subjectOf(const mcp::Principal& principal);
policy::Target targetOf(mcp::ListKind kind, const mcp::CatalogEntry& entry);

class PolicyAccess : public mcp::AccessPolicy {
 public:
  explicit PolicyAccess(policy::Policy policy) : policy_(std::move(policy)) {}
  mcp::AccessDecision decide(const mcp::Principal& principal, mcp::ListKind kind,
                             const mcp::CatalogEntry& entry) const override;
  const policy::Policy& policy() const { return policy_; }

 private:
  policy::Policy policy_;
};

// The principal a user would be when signed in through `clientId` with every
// offered scope: for the consent page and `policy explain`.
mcp::Principal principalForUser(const oauth::User& user, const std::string& clientId);

// What each scope unlocks for a user, in the catalog's names: for the built-in
// scopes, what the user may use of that kind; for a policy scope, what the
// user may use only with it.
oauth::ScopeUnlocks policyUnlocks(mcp::Catalog& catalog, const PolicyAccess& access);

}  // namespace portcullis::app
