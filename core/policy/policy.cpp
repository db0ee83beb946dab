#include "core/policy/policy.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace portcullis::policy {

namespace {

// The scopes the MCP endpoint itself knows (core/oauth/scopes.cpp); rules may
// require them besides the policy's own.
const std::vector<std::string> kMcpScopes{"tools:read", "tools:call", "resources:read", "prompts:read"};
const char* const kTargetKeys[4] = {"tools", "resources", "templates", "prompts"};
const char* const kPrincipalKeys[5] = {"users", "roles", "groups", "clients", "tokens"};
constexpr size_t kMaxPattern = 512;

std::optional<std::string> asString(const json::Value& v) {
  if (!json::isString(v)) return std::nullopt;
  return v.extract<std::string>();
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool validRoleName(const std::string& name) {
  if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// RFC 6749 scope-token characters, minus the quote and backslash that would
// need escaping in a WWW-Authenticate header.
bool validScopeName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
}

bool validPattern(const std::string& p) {
  if (p.empty() || p.size() > kMaxPattern) return false;
  return std::none_of(p.begin(), p.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

class Compiler {
 public:
  std::vector<PolicyIssue> issues;

  void issue(std::string path, std::string message) { issues.push_back({std::move(path), std::move(message)}); }

  // A list of strings; a single string is taken as a list of one.
  std::vector<std::string> strings(const json::ObjectPtr& o, const std::string& key, const std::string& path) {
    std::vector<std::string> out;
    if (!o->has(key)) return out;
    json::Value v = o->get(key);
    if (auto s = asString(v)) {
      out.push_back(*s);
      return out;
    }
    auto array = json::asArray(v);
    if (!array) {
      issue(path, "must be a list of strings");
      return out;
    }
    for (unsigned i = 0; i < array->size(); ++i) {
      auto s = asString(array->get(i));
      if (!s) {
        issue(path + "[" + std::to_string(i) + "]", "must be a string");
        continue;
      }
      out.push_back(*s);
    }
    if (out.empty()) issue(path, "must not be empty (leave the key out instead)");
    return out;
  }

  // roles or scopes: a list of names, or of {name, description}.
  template <typename Definition>
  std::vector<Definition> definitions(const json::Value& value, const std::string& path) {
    std::vector<Definition> out;
    auto array = json::asArray(value);
    if (!array) {
      issue(path, "must be a list");
      return out;
    }
    for (unsigned i = 0; i < array->size(); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      json::Value item = array->get(i);
      Definition d;
      if (auto s = asString(item)) {
        d.name = *s;
      } else if (auto o = json::asObject(item)) {
        std::vector<std::string> keys;
        o->getNames(keys);
        for (const auto& k : keys) {
          if (k != "name" && k != "description") issue(at + "." + k, "unknown key (name, description)");
        }
        auto name = json::getString(o, "name");
        if (!name) {
          issue(at + ".name", "is required and must be a string");
          continue;
        }
        d.name = *name;
        if (o->has("description")) {
          auto description = json::getString(o, "description");
          if (!description) issue(at + ".description", "must be a string");
          d.description = description.value_or("");
        }
      } else {
        issue(at, "must be a name or {name, description}");
        continue;
      }
      out.push_back(std::move(d));
    }
    return out;
  }
};

}  // namespace

const char* kindName(Kind kind) {
  switch (kind) {
    case Kind::Tool:
      return "tool";
    case Kind::Resource:
      return "resource";
    case Kind::Template:
      return "template";
    case Kind::Prompt:
      return "prompt";
  }
  return "tool";
}

const char* Decision::effectName() const {
  switch (effect) {
    case Effect::Allow:
      return "allow";
    case Effect::StepUp:
      return "step-up";
    case Effect::Deny:
      break;
  }
  return "deny";
}

namespace {
std::string joinIssues(const std::vector<PolicyIssue>& issues) {
  std::string out = "invalid policy";
  for (const auto& i : issues) out += "\n  " + (i.path.empty() ? std::string("policy") : i.path) + ": " + i.message;
  return out;
}
}  // namespace

PolicyError::PolicyError(std::vector<PolicyIssue> issues)
    : std::runtime_error(joinIssues(issues)), issues_(std::move(issues)) {}

void NameSet::add(const std::string& pattern) {
  patterns_.push_back(pattern);
  if (pattern == "*") {
    any_ = true;
  } else if (pattern.find_first_of("*?") != std::string::npos) {
    globs_.push_back(pattern);
  } else {
    exact_.push_back(pattern);
  }
}

bool NameSet::matches(std::string_view name) const {
  if (any_) return true;
  if (contains(exact_, name)) return true;
  return std::any_of(globs_.begin(), globs_.end(), [&](const std::string& g) { return globMatch(g, name); });
}

bool NameSet::matchesAny(const std::vector<std::string>& names) const {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return matches(n); });
}

Policy Policy::open() {
  Policy p;
  p.open_ = true;
  p.roles_ = {{kAdminRole, "Administrator"}, {kMemberRole, "Member"}};
  return p;
}

Policy Policy::compile(const json::Value& section) {
  Compiler c;
  Policy policy;
  policy.roles_ = {{kAdminRole, "Administrator"}, {kMemberRole, "Member"}};
  auto root = json::asObject(section);
  if (!root) throw PolicyError(std::vector<PolicyIssue>{{"", "must be a mapping with roles, scopes and rules"}});
  std::vector<std::string> keys;
  root->getNames(keys);
  for (const auto& k : keys) {
    if (k != "roles" && k != "scopes" && k != "rules") c.issue(k, "unknown key (roles, scopes, rules)");
  }

  if (root->has("roles")) {
    for (auto& role : c.definitions<RoleDefinition>(root->get("roles"), "roles")) {
      if (!validRoleName(role.name)) {
        c.issue("roles", "\"" + role.name + "\" is not a valid role name (a-z, 0-9, _ and -, starting with a letter)");
      } else if (policy.knowsRole(role.name)) {
        // admin and member may be listed to describe them.
        for (auto& known : policy.roles_) {
          if (known.name == role.name && !role.description.empty()) known.description = role.description;
        }
      } else {
        policy.roles_.push_back(std::move(role));
      }
    }
  }

  if (root->has("scopes")) {
    std::set<std::string> seen;
    for (auto& scope : c.definitions<ScopeDefinition>(root->get("scopes"), "scopes")) {
      if (!validScopeName(scope.name)) {
        c.issue("scopes", "\"" + scope.name + "\" is not a valid scope name (printable, no spaces or quotes)");
      } else if (contains(kMcpScopes, scope.name) || scope.name == "openid" || scope.name == "profile" ||
                 scope.name == "email" || scope.name == "offline_access") {
        c.issue("scopes", "\"" + scope.name + "\" is a built-in scope and cannot be redefined");
      } else if (!seen.insert(scope.name).second) {
        c.issue("scopes", "\"" + scope.name + "\" is listed twice");
      } else {
        if (scope.description.empty()) scope.description = "Use what the scope " + scope.name + " unlocks";
        policy.scopes_.push_back(std::move(scope));
      }
    }
  }

  auto rules = json::getArray(root, "rules");
  if (root->has("rules") && !rules) c.issue("rules", "must be a list of rules");
  std::set<std::string> names;
  for (unsigned i = 0; rules && i < rules->size(); ++i) {
    const std::string at = "rules[" + std::to_string(i) + "]";
    auto o = json::asObject(rules->get(i));
    if (!o) {
      c.issue(at, "must be a mapping");
      continue;
    }
    Rule rule;
    std::vector<std::string> ruleKeys;
    o->getNames(ruleKeys);
    static const std::set<std::string> kKnown{"name",    "effect",  "users",     "roles",   "groups",
                                              "clients", "tokens",  "scopes",    "plugins", "tools",
                                              "resources", "templates", "prompts"};
    for (const auto& k : ruleKeys) {
      if (!kKnown.count(k)) {
        c.issue(at + "." + k, "unknown key (name, effect, users, roles, groups, clients, tokens, scopes, plugins, "
                              "tools, resources, templates, prompts)");
      }
    }
    auto name = json::getString(o, "name");
    rule.name = name.value_or("rule " + std::to_string(i + 1));
    if (o->has("name") && (!name || name->empty())) c.issue(at + ".name", "must be a non-empty string");
    if (name && !names.insert(*name).second) c.issue(at + ".name", "another rule is named \"" + *name + "\"");
    auto effect = json::getString(o, "effect");
    if (!effect || (*effect != "allow" && *effect != "deny")) {
      c.issue(at + ".effect", "is required: allow or deny");
    }
    rule.allow = effect.value_or("allow") == "allow";

    NameSet* principals[5] = {&rule.users, &rule.roles, &rule.groups, &rule.clients, &rule.tokens};
    for (int k = 0; k < 5; ++k) {
      const std::string key = kPrincipalKeys[k];
      for (const auto& value : c.strings(o, key, at + "." + key)) {
        if (!validPattern(value)) {
          c.issue(at + "." + key, "\"" + value + "\" is not a valid name or pattern");
          continue;
        }
        if (key == "roles" && value.find_first_of("*?") == std::string::npos && !policy.knowsRole(value)) {
          c.issue(at + ".roles", "unknown role \"" + value + "\" (declare it under policy.roles)");
        }
        principals[k]->add(value);
      }
    }
    for (const auto& scope : c.strings(o, "scopes", at + ".scopes")) {
      const bool known = contains(kMcpScopes, scope) ||
                         std::any_of(policy.scopes_.begin(), policy.scopes_.end(),
                                     [&](const ScopeDefinition& d) { return d.name == scope; });
      if (!known) c.issue(at + ".scopes", "unknown scope \"" + scope + "\" (declare it under policy.scopes)");
      rule.scopes.push_back(scope);
    }
    if (!rule.allow && !rule.scopes.empty()) {
      c.issue(at + ".scopes", "only allow rules can require scopes");
    }
    for (const auto& plugin : c.strings(o, "plugins", at + ".plugins")) {
      if (!validPattern(plugin)) c.issue(at + ".plugins", "\"" + plugin + "\" is not a valid name or pattern");
      rule.plugins.add(plugin);
    }
    bool anyTarget = false;
    for (int k = 0; k < 4; ++k) {
      const std::string key = kTargetKeys[k];
      for (const auto& value : c.strings(o, key, at + "." + key)) {
        if (!validPattern(value)) {
          c.issue(at + "." + key, "\"" + value + "\" is not a valid name or pattern");
          continue;
        }
        rule.targets[k].add(value);
        anyTarget = true;
      }
    }
    if (!anyTarget) c.issue(at, "names nothing: give tools, resources, templates or prompts");
    policy.rules_.push_back(std::move(rule));
  }
  if (!c.issues.empty()) throw PolicyError(std::move(c.issues));
  return policy;
}

bool Policy::knowsRole(const std::string& role) const {
  return std::any_of(roles_.begin(), roles_.end(), [&](const RoleDefinition& r) { return r.name == role; });
}

bool Policy::principalMatches(const Rule& rule, const Subject& subject) {
  if (!rule.roles.empty() && !rule.roles.matchesAny(subject.roles)) return false;
  if (!rule.users.empty() && (subject.username.empty() || !rule.users.matches(subject.username))) return false;
  if (!rule.groups.empty() && !rule.groups.matchesAny(subject.groups)) return false;
  if (!rule.clients.empty() && (subject.clientId.empty() || !rule.clients.matches(subject.clientId))) return false;
  if (!rule.tokens.empty() && (subject.apiTokenId.empty() || !rule.tokens.matches(subject.apiTokenId))) return false;
  return true;
}

bool Policy::targetMatches(const Rule& rule, const Target& target) {
  if (!rule.targets[static_cast<int>(target.kind)].matches(target.name)) return false;
  return rule.plugins.empty() || rule.plugins.matches(target.plugin);
}

Decision Policy::decide(const Subject& subject, const Target& target) const {
  Decision d;
  if (target.adminOnly && !contains(subject.roles, kAdminRole)) {
    d.rule = kAdminOnlyRule;
    return d;
  }
  if (open_) {
    d.effect = Decision::Effect::Allow;
    d.rule = kOpenRule;
    return d;
  }
  const Rule* allowing = nullptr;
  const Rule* stepUp = nullptr;
  for (const Rule& rule : rules_) {
    if (!principalMatches(rule, subject) || !targetMatches(rule, target)) continue;
    if (!rule.allow) {
      d.rule = rule.name;
      return d;  // deny wins
    }
    if (allowing != nullptr) continue;
    const bool scoped = std::all_of(rule.scopes.begin(), rule.scopes.end(),
                                    [&](const std::string& s) { return contains(subject.scopes, s); });
    if (scoped) {
      allowing = &rule;
    } else if (stepUp == nullptr) {
      stepUp = &rule;
    }
  }
  if (allowing != nullptr) {
    d.effect = Decision::Effect::Allow;
    d.rule = allowing->name;
  } else if (stepUp != nullptr) {
    d.effect = Decision::Effect::StepUp;
    d.rule = stepUp->name;
    for (const auto& s : stepUp->scopes) {
      if (!contains(subject.scopes, s)) d.scopes.push_back(s);
    }
  } else {
    d.rule = kDefaultRule;
  }
  return d;
}

}  // namespace portcullis::policy
