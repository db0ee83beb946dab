#include "core/policy/policy.hpp"

#include <gtest/gtest.h>

namespace portcullis::policy {
namespace {

Policy compileText(const std::string& text) { return Policy::compile(json::parse(text)); }

std::vector<PolicyIssue> issuesOf(const std::string& text) {
  try {
    Policy::compile(json::parse(text));
  } catch (const PolicyError& e) {
    return e.issues();
  }
  return {};
}

bool hasIssue(const std::vector<PolicyIssue>& issues, const std::string& path, const std::string& fragment) {
  for (const auto& i : issues) {
    if (i.path == path && i.message.find(fragment) != std::string::npos) return true;
  }
  return false;
}

Subject user(const std::string& name, std::vector<std::string> roles, std::vector<std::string> groups = {},
             std::vector<std::string> scopes = {"tools:read", "tools:call"}) {
  Subject s;
  s.username = name;
  s.roles = std::move(roles);
  s.groups = std::move(groups);
  s.scopes = std::move(scopes);
  s.clientId = "client-1";
  s.authenticated = true;
  return s;
}

Target tool(const std::string& name, const std::string& plugin = "demo", bool adminOnly = false) {
  return Target{Kind::Tool, name, plugin, adminOnly};
}

const char* kTeam = R"({
  "roles": ["analyst", {"name": "member", "description": "Everyone"}],
  "scopes": [{"name": "tools:admin", "description": "Administer"}],
  "rules": [
    {"name": "basics", "effect": "allow", "roles": ["member", "admin"], "tools": ["demo_echo", "whoami"]},
    {"name": "admins", "effect": "allow", "roles": ["admin"], "tools": ["*"], "prompts": ["*"]},
    {"name": "admin-tools-need-scope", "effect": "allow", "roles": ["analyst"], "tools": ["admin_*"],
     "scopes": ["tools:admin"]},
    {"name": "github-for-eng", "effect": "allow", "groups": ["eng"], "tools": ["github_*"], "plugins": ["github"]},
    {"name": "no-deletes", "effect": "deny", "tools": ["*_delete"]},
    {"name": "bob-only", "effect": "allow", "users": ["bob"], "clients": ["client-*"], "resources": ["file:///bob/*"]}
  ]
})";

TEST(PolicyDecide, DefaultIsDeny) {
  Policy p = compileText(kTeam);
  Decision d = p.decide(user("carol", {"member"}), tool("demo_get_help"));
  EXPECT_EQ(d.effect, Decision::Effect::Deny);
  EXPECT_EQ(d.rule, kDefaultRule);
}

TEST(PolicyDecide, RolesSelectRules) {
  Policy p = compileText(kTeam);
  EXPECT_TRUE(p.decide(user("bob", {"member"}), tool("demo_echo")).allowed());
  EXPECT_FALSE(p.decide(user("bob", {"member"}), tool("demo_get_help")).allowed());
  Decision admin = p.decide(user("alice", {"admin"}), tool("demo_get_help"));
  EXPECT_TRUE(admin.allowed());
  EXPECT_EQ(admin.rule, "admins");
  // The first allowing rule is the one reported.
  EXPECT_EQ(p.decide(user("alice", {"admin"}), tool("demo_echo")).rule, "basics");
}

TEST(PolicyDecide, DenyWinsOverAnEarlierAllow) {
  Policy p = compileText(kTeam);
  Decision d = p.decide(user("alice", {"admin"}), tool("repo_delete"));
  EXPECT_EQ(d.effect, Decision::Effect::Deny);
  EXPECT_EQ(d.rule, "no-deletes");
}

TEST(PolicyDecide, AMissingScopeMeansStepUp) {
  Policy p = compileText(kTeam);
  Decision d = p.decide(user("ann", {"analyst"}), tool("admin_reset"));
  EXPECT_EQ(d.effect, Decision::Effect::StepUp);
  EXPECT_EQ(d.rule, "admin-tools-need-scope");
  EXPECT_EQ(d.scopes, std::vector<std::string>{"tools:admin"});
  Decision granted = p.decide(user("ann", {"analyst"}, {}, {"tools:call", "tools:admin"}), tool("admin_reset"));
  EXPECT_TRUE(granted.allowed());
}

TEST(PolicyDecide, GroupsAndPluginsNarrowRules) {
  Policy p = compileText(kTeam);
  EXPECT_TRUE(p.decide(user("dev", {"member"}, {"eng"}), tool("github_search", "github")).allowed());
  // Same name from another plugin: the rule names the plugin.
  EXPECT_FALSE(p.decide(user("dev", {"member"}, {"eng"}), tool("github_search", "impostor")).allowed());
  EXPECT_FALSE(p.decide(user("ops", {"member"}, {"ops"}), tool("github_search", "github")).allowed());
}

TEST(PolicyDecide, EverySelectorGivenMustMatch) {
  Policy p = compileText(kTeam);
  Target file{Kind::Resource, "file:///bob/notes.txt", "files", false};
  EXPECT_TRUE(p.decide(user("bob", {"member"}), file).allowed());
  Subject otherClient = user("bob", {"member"});
  otherClient.clientId = "cli";
  EXPECT_FALSE(p.decide(otherClient, file).allowed());
  EXPECT_FALSE(p.decide(user("alice", {"member"}), file).allowed());
}

TEST(PolicyDecide, KindsAreSeparate) {
  Policy p = compileText(kTeam);
  // "admins" names tools and prompts, not resources.
  EXPECT_TRUE(p.decide(user("alice", {"admin"}), Target{Kind::Prompt, "p", "demo", false}).allowed());
  EXPECT_FALSE(p.decide(user("alice", {"admin"}), Target{Kind::Resource, "demo://x", "demo", false}).allowed());
  EXPECT_FALSE(p.decide(user("alice", {"admin"}), Target{Kind::Template, "demo://{x}", "demo", false}).allowed());
}

TEST(PolicyDecide, AdminOnlyMarksCannotBeLoosened) {
  Policy p = compileText(R"({"rules": [{"name": "all", "effect": "allow", "tools": ["*"]}]})");
  Decision member = p.decide(user("bob", {"member"}), tool("danger", "demo", true));
  EXPECT_EQ(member.effect, Decision::Effect::Deny);
  EXPECT_EQ(member.rule, kAdminOnlyRule);
  EXPECT_TRUE(p.decide(user("alice", {"admin"}), tool("danger", "demo", true)).allowed());
  // ...but the policy can tighten them.
  Policy tight = compileText(R"({"rules": [{"name": "x", "effect": "allow", "tools": ["other"]}]})");
  EXPECT_FALSE(tight.decide(user("alice", {"admin"}), tool("danger", "demo", true)).allowed());
}

TEST(PolicyDecide, OpenPolicyAllowsAllButAdminOnly) {
  Policy p = Policy::open();
  Subject anonymous;
  EXPECT_TRUE(p.decide(anonymous, tool("demo_echo")).allowed());
  EXPECT_FALSE(p.decide(anonymous, tool("danger", "demo", true)).allowed());
  EXPECT_TRUE(p.isOpen());
}

TEST(PolicyDecide, RulesWithoutSelectorsMatchAnonymousCallers) {
  Policy p = compileText(R"({"rules": [{"name": "all", "effect": "allow", "tools": ["demo_*"]},
                                       {"name": "bob", "effect": "allow", "users": ["*"], "tools": ["x"]}]})");
  Subject anonymous;
  EXPECT_TRUE(p.decide(anonymous, tool("demo_echo")).allowed());
  // A users selector needs a user, even "*".
  EXPECT_FALSE(p.decide(anonymous, tool("x")).allowed());
}

TEST(PolicyDecide, ApiTokenSelectors) {
  Policy p = compileText(R"({"rules": [{"name": "ci", "effect": "allow", "tokens": ["tok_ci*"], "tools": ["deploy"]}]})");
  Subject s = user("bot", {"member"});
  EXPECT_FALSE(p.decide(s, tool("deploy")).allowed());
  s.apiTokenId = "tok_ci123";
  EXPECT_TRUE(p.decide(s, tool("deploy")).allowed());
}

TEST(PolicyCompile, RolesAndScopesAreListed) {
  Policy p = compileText(kTeam);
  EXPECT_TRUE(p.knowsRole("admin"));
  EXPECT_TRUE(p.knowsRole("member"));
  EXPECT_TRUE(p.knowsRole("analyst"));
  EXPECT_FALSE(p.knowsRole("root"));
  ASSERT_EQ(p.scopes().size(), 1u);
  EXPECT_EQ(p.scopes()[0].name, "tools:admin");
  EXPECT_EQ(p.rules().size(), 6u);
}

TEST(PolicyCompile, EveryProblemIsReportedWithItsPath) {
  auto issues = issuesOf(R"({
    "rules": [
      {"name": "a", "effect": "permit", "tools": ["x"]},
      {"name": "a", "effect": "allow", "roles": ["ghost"], "tools": ["x"]},
      {"name": "c", "effect": "allow"},
      {"name": "d", "effect": "deny", "tools": ["x"], "scopes": ["tools:call"]},
      {"name": "e", "effect": "allow", "tools": ["x"], "scopes": ["nope"], "colour": "red"},
      {"name": "f", "effect": "allow", "tools": [""]},
      {"name": "g", "effect": "allow", "tools": [], "prompts": [7]},
      "not a rule"
    ],
    "extra": 1
  })");
  EXPECT_TRUE(hasIssue(issues, "rules[0].effect", "allow or deny"));
  EXPECT_TRUE(hasIssue(issues, "rules[1].name", "another rule"));
  EXPECT_TRUE(hasIssue(issues, "rules[1].roles", "unknown role \"ghost\""));
  EXPECT_TRUE(hasIssue(issues, "rules[2]", "names nothing"));
  EXPECT_TRUE(hasIssue(issues, "rules[3].scopes", "only allow rules"));
  EXPECT_TRUE(hasIssue(issues, "rules[4].scopes", "unknown scope"));
  EXPECT_TRUE(hasIssue(issues, "rules[4].colour", "unknown key"));
  EXPECT_TRUE(hasIssue(issues, "rules[5].tools", "not a valid name"));
  EXPECT_TRUE(hasIssue(issues, "rules[6].tools", "must not be empty"));
  EXPECT_TRUE(hasIssue(issues, "rules[6].prompts[0]", "must be a string"));
  EXPECT_TRUE(hasIssue(issues, "rules[7]", "must be a mapping"));
  EXPECT_TRUE(hasIssue(issues, "extra", "unknown key"));
}

TEST(PolicyCompile, HostileNamesAreRefused) {
  EXPECT_FALSE(issuesOf(R"({"roles": ["Root Admin"]})").empty());
  EXPECT_FALSE(issuesOf(R"({"scopes": ["has space"]})").empty());
  EXPECT_FALSE(issuesOf(R"({"scopes": ["quo\"te"]})").empty());
  EXPECT_FALSE(issuesOf(R"({"scopes": ["tools:call"]})").empty());  // built-in
  EXPECT_FALSE(issuesOf(R"({"scopes": ["x", "x"]})").empty());
  EXPECT_FALSE(issuesOf(R"({"rules": [{"effect": "allow", "tools": ["a\u0001b"]}]})").empty());
  EXPECT_FALSE(issuesOf("[]").empty());
  EXPECT_FALSE(issuesOf(R"({"rules": {"a": 1}})").empty());
  EXPECT_FALSE(issuesOf(R"({"rules": [{"effect": "allow", "tools": [")" + std::string(600, 'a') + R"("]}]})").empty());
}

TEST(PolicyCompile, ASingleStringIsAListOfOne) {
  Policy p = compileText(R"({"rules": [{"name": "r", "effect": "allow", "roles": "member", "tools": "demo_*"}]})");
  EXPECT_TRUE(p.decide(user("bob", {"member"}), tool("demo_echo")).allowed());
}

TEST(Glob, MatchesAsDocumented) {
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("github_*", "github_search"));
  EXPECT_TRUE(globMatch("github_*", "github_"));
  EXPECT_FALSE(globMatch("github_*", "gitlab_search"));
  EXPECT_TRUE(globMatch("*_delete", "repo_delete"));
  EXPECT_TRUE(globMatch("a?c", "abc"));
  EXPECT_FALSE(globMatch("a?c", "ac"));
  EXPECT_TRUE(globMatch("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(globMatch("*a*b*c*", "xxaxxcxxbxx"));
  EXPECT_TRUE(globMatch("file:///*", "file:///etc/passwd"));
  EXPECT_FALSE(globMatch("exact", "exactly"));
}

TEST(Glob, HostilePatternsStayCheap) {
  // Classic exponential case for recursive matchers; this one is bounded by
  // pattern × text steps.
  const std::string text(5000, 'a');
  EXPECT_FALSE(globMatch("*a*a*a*a*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace portcullis::policy
