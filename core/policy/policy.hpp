#pragma once
// The authorization policy: which principal may use which tool, resource,
// resource template and prompt. Rules match a principal (users, roles,
// groups, clients, API tokens), optionally require scopes on the token, and
// name primitives exactly or by glob (`github_*`), optionally per plugin.
// A matching deny rule wins over every allow rule; nothing matching means
// deny. Primitives a plugin marks admin-only need the admin role whatever the
// rules say. The model and a worked example are in docs/policy.md.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/json.hpp"
#include "portcullis/sdk/glob.hpp"

namespace portcullis::policy {

namespace json = common::json;

enum class Kind : uint8_t { Tool, Resource, Template, Prompt };
const char* kindName(Kind kind);  // "tool", "resource", "template", "prompt"

inline constexpr const char* kAdminRole = "admin";
inline constexpr const char* kMemberRole = "member";

// Who asks. Anonymous callers (sign-in off) have no username and no roles.
struct Subject {
  std::string username;
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  std::vector<std::string> scopes;  // what the token grants
  std::string clientId;
  std::string apiTokenId;  // set when the caller used an API token
  bool authenticated = false;
};

// What is asked for.
struct Target {
  Kind kind = Kind::Tool;
  std::string name;    // tool or prompt name, resource URI, URI template
  std::string plugin;  // the plugin or connector instance that serves it
  bool adminOnly = false;
};

struct Decision {
  enum class Effect : uint8_t { Allow, Deny, StepUp };
  Effect effect = Effect::Deny;
  // The rule that decided, or kDefaultRule / kAdminOnlyRule.
  std::string rule;
  // StepUp: the scopes the token also needs for a rule that would allow it.
  std::vector<std::string> scopes;

  bool allowed() const { return effect == Effect::Allow; }
  // "allow", "deny" or "step-up".
  const char* effectName() const;
};

inline constexpr const char* kDefaultRule = "(default deny)";
inline constexpr const char* kAdminOnlyRule = "(admin-only primitive)";
inline constexpr const char* kOpenRule = "(no policy: open)";

struct ScopeDefinition {
  std::string name;
  std::string description;
};

struct RoleDefinition {
  std::string name;
  std::string description;
};

struct PolicyIssue {
  std::string path;  // relative to the policy section, e.g. "rules[2].tools[0]"
  std::string message;
};

class PolicyError : public std::runtime_error {
 public:
  explicit PolicyError(std::vector<PolicyIssue> issues);
  const std::vector<PolicyIssue>& issues() const { return issues_; }

 private:
  std::vector<PolicyIssue> issues_;
};

// A name matcher: exact names and globs (`*` any run, `?` one character).
class NameSet {
 public:
  void add(const std::string& pattern);
  bool empty() const { return exact_.empty() && globs_.empty() && !any_; }
  bool matches(std::string_view name) const;
  bool matchesAny(const std::vector<std::string>& names) const;
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;  // as written, for explanations
  std::vector<std::string> exact_;
  std::vector<std::string> globs_;
  bool any_ = false;
};

// The same globs as connectors' include/exclude filters: one matcher for both.
using sdk::globMatch;

class Policy {
 public:
  struct Rule {
    std::string name;
    bool allow = true;
    // Principal selectors: any value of one key matches; every key given
    // must match. No selector at all matches everyone.
    NameSet users, roles, groups, clients, tokens;
    std::vector<std::string> scopes;  // allow rules: all needed on the token
    NameSet plugins;                  // empty: any plugin
    NameSet targets[4];               // by Kind
  };

  // No policy section: everyone may use everything except admin-only
  // primitives. Sign-in scopes still apply.
  static Policy open();
  // Compiles a policy section (already parsed from YAML). Throws PolicyError
  // listing every problem.
  static Policy compile(const json::Value& section);

  Decision decide(const Subject& subject, const Target& target) const;

  bool isOpen() const { return open_; }
  const std::vector<Rule>& rules() const { return rules_; }
  // The roles accounts may hold: admin, member and the policy's own.
  const std::vector<RoleDefinition>& roles() const { return roles_; }
  bool knowsRole(const std::string& role) const;
  // The scopes the policy adds to the four MCP scopes.
  const std::vector<ScopeDefinition>& scopes() const { return scopes_; }

 private:
  static bool principalMatches(const Rule& rule, const Subject& subject);
  static bool targetMatches(const Rule& rule, const Target& target);

  bool open_ = false;
  std::vector<Rule> rules_;
  std::vector<RoleDefinition> roles_;
  std::vector<ScopeDefinition> scopes_;
};

}  // namespace portcullis::policy
