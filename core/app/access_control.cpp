#include "core/app/access_control.hpp"

#include "core/common/error.hpp"
#include "core/oauth/scopes.hpp"

namespace portcullis::app {

policy::Policy compilePolicy(const config::PolicySection& section) {
  if (!section.present) return policy::Policy::open();
  try {
    return policy::Policy::compile(section.value);
  } catch (const policy::PolicyError& e) {
    std::vector<common::ConfigIssue> issues;
    for (const auto& issue : e.issues()) {
      std::string path = section.pathPrefix + issue.path;
      if (!path.empty() && path.back() == '.') path.pop_back();
      issues.push_back({path, section.document.lineOf(path), issue.message});
    }
    throw common::ConfigError(section.source, std::move(issues));
  }
}

policy::Subject subjectOf(const mcp::Principal& principal) {
  policy::Subject s;
  s.username = principal.username;
  s.roles = principal.roles;
  s.groups = principal.groups;
  s.scopes = principal.scopes;
  s.clientId = principal.clientId;
  s.apiTokenId = principal.apiTokenId;
  s.authenticated = principal.authenticated;
  return s;
}

policy::Target targetOf(mcp::ListKind kind, const mcp::CatalogEntry& entry) {
  policy::Target t;
  switch (kind) {
    case mcp::ListKind::Tools:
      t.kind = policy::Kind::Tool;
      break;
    case mcp::ListKind::Resources:
      t.kind = policy::Kind::Resource;
      break;
    case mcp::ListKind::ResourceTemplates:
      t.kind = policy::Kind::Template;
      break;
    case mcp::ListKind::Prompts:
      t.kind = policy::Kind::Prompt;
      break;
  }
  t.name = entry.key;
  t.plugin = entry.provider ? entry.provider->name() : std::string();
  t.adminOnly = entry.adminOnly;
  return t;
}

mcp::AccessDecision PolicyAccess::decide(const mcp::Principal& principal, mcp::ListKind kind,
                                         const mcp::CatalogEntry& entry) const {
  const policy::Decision d = policy_.decide(subjectOf(principal), targetOf(kind, entry));
  mcp::AccessDecision out;
  out.rule = d.rule;
  switch (d.effect) {
    case policy::Decision::Effect::Allow:
      out.access = mcp::Access::Allowed;
      break;
    case policy::Decision::Effect::StepUp:
      out.access = mcp::Access::StepUp;
      out.scopes = d.scopes;
      break;
    case policy::Decision::Effect::Deny:
      out.access = mcp::Access::Hidden;
      break;
  }
  return out;
}

mcp::Principal principalForUser(const oauth::User& user, const std::string& clientId) {
  mcp::Principal p;
  p.subject = user.id;
  p.username = user.username;
  p.name = user.name;
  p.email = user.email;
  if (!user.role.empty()) p.roles = {user.role};
  p.groups = user.groups;
  for (const auto& info : oauth::mcpScopes()) p.scopes.push_back(info.name);
  p.clientId = clientId;
  p.authenticated = true;
  return p;
}

oauth::ScopeUnlocks policyUnlocks(mcp::Catalog& catalog, const PolicyAccess& access) {
  return [&catalog, &access](const std::string& scope, const oauth::User& user) {
    const mcp::Principal everything = principalForUser(user, "");
    mcp::Principal without = everything;
    std::erase(without.scopes, scope);
    const auto view = catalog.view();
    std::vector<std::string> names;
    auto collect = [&](mcp::ListKind kind, bool onlyWithScope) {
      for (const auto& entry : view->entries(kind)) {
        if (access.decide(everything, kind, entry).access != mcp::Access::Allowed) continue;
        if (onlyWithScope && access.decide(without, kind, entry).access == mcp::Access::Allowed) continue;
        names.push_back(entry.key);
      }
    };
    if (scope == "tools:read" || scope == "tools:call") {
      collect(mcp::ListKind::Tools, false);
    } else if (scope == "resources:read") {
      collect(mcp::ListKind::Resources, false);
      collect(mcp::ListKind::ResourceTemplates, false);
    } else if (scope == "prompts:read") {
      collect(mcp::ListKind::Prompts, false);
    } else {
      for (auto kind : {mcp::ListKind::Tools, mcp::ListKind::Resources, mcp::ListKind::ResourceTemplates,
                        mcp::ListKind::Prompts}) {
        collect(kind, true);
      }
    }
    return names;
  };
}

}  // namespace portcullis::app
