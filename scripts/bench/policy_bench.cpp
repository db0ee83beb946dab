// What the authorization policy costs per call, with a policy of realistic
// shape (scripts/bench/policy.sh builds and runs this):
//
//   decide      policy::Policy::decide, uncached: every rule is looked at
//               (what the dispatcher pays once per principal, entry and
//               catalog generation, when it builds the principal's catalog)
//   access      app::PolicyAccess::decide: the same through the adapter the
//               dispatcher calls (copies principal and entry into Subject
//               and Target)
//   baseline    what tools/call does without a policy: Catalog::view() and
//               CatalogView::tool(name)
//   cached      the same plus what it does with one: AccessGate::catalogFor
//               (principal fingerprint, one locked map lookup) and
//               PrincipalCatalog::decision
//   added       cached minus baseline: the policy's cost per call
//   cold        building one principal's catalog (every entry decided), the
//               first call after a change of role or catalog
//
// Each figure is ns per call, min and median over --rounds rounds of
// --calls calls each, rotating through the names of the catalog.
//
// Usage: policy_bench [--rules N] [--tools N] [--rounds N] [--calls N] [--threads N]
//                     [--limit-ns N]
// Prints a Markdown table; exits 1 when the median of "added" exceeds
// --limit-ns (default 2000).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/app/access_control.hpp"
#include "core/common/json.hpp"
#include "core/mcp/access.hpp"
#include "core/mcp/catalog.hpp"
#include "core/policy/policy.hpp"

namespace {

using namespace portcullis;
namespace json = common::json;
using Clock = std::chrono::steady_clock;

struct Options {
  int rules = 200;
  int tools = 200;
  int rounds = 15;
  int calls = 200'000;
  int threads = 1;
  double limitNs = 2000;
};

// Connectors and the verbs of their tools: "github_create_issue", ...
const char* const kPlugins[] = {"github", "jira",     "slack",      "postgres",
                                "drive",  "calendar", "salesforce", "zendesk"};
const char* const kVerbs[] = {"list",   "get",    "create", "update",
                              "delete", "search", "export", "archive"};
const char* const kNouns[] = {"issue",  "comment", "user",   "file",
                              "record", "event",   "report", "ticket"};
const char* const kRoles[] = {"admin",     "member", "support", "analyst",
                              "developer", "ops",    "finance", "auditor"};
const char* const kGroups[] = {"eng",         "sales", "oncall",   "emea",
                               "contractors", "leads", "security", "data"};

std::string toolName(int i) {
  const int n = static_cast<int>(std::size(kPlugins));
  return std::string(kPlugins[i % n]) + "_" + kVerbs[(i / n) % 8] + "_" +
         kNouns[(i / (n * 8)) % 8] + (i >= n * 64 ? "_" + std::to_string(i / (n * 64)) : "");
}

json::ArrayPtr strings(std::initializer_list<std::string> items) {
  json::ArrayPtr a = json::makeArray();
  for (const auto& s : items) a->add(s);
  return a;
}

// `count` rules: mostly allow rules for a role or a group (some for a user,
// some needing a scope, some limited to a plugin), naming tools exactly or
// by glob, and one in ten a deny rule. The rules that let the benchmark's
// principal in come last, so its allowed calls look at every rule.
json::ObjectPtr makePolicy(int count) {
  json::ObjectPtr policy = json::makeObject();
  json::ArrayPtr roles = json::makeArray();
  for (size_t r = 2; r < std::size(kRoles); ++r) roles->add(std::string(kRoles[r]));
  policy->set("roles", roles);
  policy->set("scopes", strings({"admin:write"}));
  json::ArrayPtr rules = json::makeArray();
  for (int i = 0; i < count; ++i) {
    json::ObjectPtr rule = json::makeObject();
    const bool last = i >= count - 2;
    rule->set("name", "rule-" + std::to_string(i));
    rule->set("effect", std::string(i % 10 == 9 && !last ? "deny" : "allow"));
    const std::string plugin = kPlugins[i % std::size(kPlugins)];
    if (last) {
      // The benchmark principal: member, group eng.
      rule->set(i % 2 == 0 ? "roles" : "groups", strings({i % 2 == 0 ? "member" : "eng"}));
      rule->set("tools", strings({i % 2 == 0 ? "*_get_*" : "*_list_*", "*_search_*"}));
    } else {
      switch (i % 5) {
        case 0:
          rule->set("roles", strings({kRoles[2 + i % 6], kRoles[2 + (i + 1) % 6]}));
          break;
        case 1:
          rule->set("groups", strings({std::string(kGroups[(i + 1) % 8]) + "-x",
                                       kGroups[(i + 3) % 8] + std::string("-y")}));
          break;
        case 2:
          rule->set("users", strings({"user" + std::to_string(i), "user" + std::to_string(i + 1)}));
          break;
        case 3:
          rule->set("roles", strings({"admin"}));
          if (i % 10 != 9) rule->set("scopes", strings({"admin:write"}));
          break;
        default:
          rule->set("clients", strings({"client-" + std::to_string(i)}));
          rule->set("roles", strings({kRoles[2 + i % 6]}));
          break;
      }
      if (i % 3 == 0) {
        rule->set("tools", strings({plugin + "_*"}));
        rule->set("plugins", strings({plugin}));
      } else if (i % 3 == 1) {
        rule->set("tools",
                  strings({toolName(i), toolName(i + 7), toolName(i + 13), toolName(i + 29)}));
      } else {
        rule->set("tools", strings({"*_" + std::string(kVerbs[i % 8]) + "_*", toolName(i + 3)}));
      }
      if (i % 7 == 0) rule->set("resources", strings({plugin + "://*"}));
    }
    rules->add(rule);
  }
  policy->set("rules", rules);
  return policy;
}

// A provider that lists `count` tools, `count / 8` of them per plugin name.
class FakeProvider : public mcp::PrimitiveProvider {
 public:
  FakeProvider(std::string name, std::vector<std::string> tools)
      : name_(std::move(name)), tools_(std::move(tools)) {}
  const std::string& name() const override { return name_; }
  json::ArrayPtr list(mcp::ListKind kind) override {
    json::ArrayPtr out = json::makeArray();
    if (kind != mcp::ListKind::Tools) return out;
    for (const auto& t : tools_) {
      json::ObjectPtr tool = json::makeObject();
      tool->set("name", t);
      tool->set("description", "A tool");
      json::ObjectPtr schema = json::makeObject();
      schema->set("type", std::string("object"));
      tool->set("inputSchema", schema);
      out->add(tool);
    }
    return out;
  }
  mcp::Outcome invoke(const std::string&, const json::ObjectPtr&, mcp::CallContext&) override {
    return mcp::Outcome::ok(json::makeObject());
  }

 private:
  std::string name_;
  std::vector<std::string> tools_;
};

struct Figure {
  std::string name;
  std::vector<double> ns;  // per call, one a round
  double min() const { return *std::min_element(ns.begin(), ns.end()); }
  double median() const {
    std::vector<double> sorted = ns;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
};

std::atomic<size_t> sink{0};

// ns per call of `body(i)`, run `calls` times on each of `threads` threads.
double timed(int calls, int threads, const std::function<size_t(int)>& body) {
  std::vector<std::thread> workers;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<Clock::duration> took(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      size_t local = 0;
      const auto start = Clock::now();
      for (int i = 0; i < calls; ++i) local += body(i + t * 7919);
      took[t] = Clock::now() - start;
      sink += local;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go = true;
  for (auto& w : workers) w.join();
  double total = 0;
  for (const auto& d : took) total += std::chrono::duration<double, std::nano>(d).count();
  return total / threads / calls;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf(
          "Usage: policy_bench [--rules N] [--tools N] [--rounds N] [--calls N] [--threads N] "
          "[--limit-ns N]\n");
      return 0;
    }
    const double value = i + 1 < argc ? std::atof(argv[i + 1]) : 0;
    if (i + 1 >= argc || value <= 0) {
      std::fprintf(stderr, "policy_bench: %s needs a positive number\n", a.c_str());
      return 2;
    }
    if (a == "--rules") {
      o.rules = static_cast<int>(value);
    } else if (a == "--tools") {
      o.tools = static_cast<int>(value);
    } else if (a == "--rounds") {
      o.rounds = static_cast<int>(value);
    } else if (a == "--calls") {
      o.calls = static_cast<int>(value);
    } else if (a == "--threads") {
      o.threads = static_cast<int>(value);
    } else if (a == "--limit-ns") {
      o.limitNs = value;
    } else {
      std::fprintf(stderr, "policy_bench: unknown option %s\n", a.c_str());
      return 2;
    }
  }

  policy::Policy compiled = policy::Policy::compile(makePolicy(o.rules));
  app::PolicyAccess access(compiled);

  mcp::Catalog catalog;
  std::vector<std::string> names;
  for (size_t p = 0; p < std::size(kPlugins); ++p) {
    std::vector<std::string> tools;
    for (int i = static_cast<int>(p); i < o.tools; i += static_cast<int>(std::size(kPlugins))) {
      tools.push_back(toolName(i));
      names.push_back(toolName(i));
    }
    catalog.addProvider(std::make_shared<FakeProvider>(kPlugins[p], tools));
  }
  auto view = catalog.view();

  mcp::Principal member;
  member.subject = "u_benchmark";
  member.username = "bench";
  member.roles = {"member"};
  member.groups = {"eng", "oncall"};
  member.scopes = {"tools:read", "tools:call", "resources:read", "prompts:read"};
  member.clientId = "pc_benchmarkclient";
  member.authenticated = true;
  const policy::Subject subject = app::subjectOf(member);
  std::vector<policy::Target> targets;
  std::vector<const mcp::CatalogEntry*> entries;
  for (const auto& name : names) {
    entries.push_back(view->tool(name));
    targets.push_back(app::targetOf(mcp::ListKind::Tools, *entries.back()));
  }
  size_t allowed = 0;
  for (const auto& t : targets) allowed += compiled.decide(subject, t).allowed() ? 1 : 0;

  mcp::AccessGate gate(&access);
  const size_t n = names.size();
  std::vector<Figure> figures;
  for (const char* name : {"decide", "access", "baseline", "cached", "added", "cold"})
    figures.push_back({name, {}});
  for (int round = 0; round < o.rounds; ++round) {
    figures[0].ns.push_back(timed(o.calls, o.threads, [&](int i) {
      return static_cast<size_t>(compiled.decide(subject, targets[i % n]).effect);
    }));
    figures[1].ns.push_back(timed(o.calls, o.threads, [&](int i) {
      return static_cast<size_t>(
          access.decide(member, mcp::ListKind::Tools, *entries[i % n]).access);
    }));
    figures[2].ns.push_back(timed(o.calls, o.threads, [&](int i) {
      return reinterpret_cast<size_t>(catalog.view()->tool(names[i % n]));
    }));
    figures[3].ns.push_back(timed(o.calls, o.threads, [&](int i) {
      auto v = catalog.view();
      const mcp::CatalogEntry* entry = v->tool(names[i % n]);
      return static_cast<size_t>(
          gate.catalogFor(member, v)->decision(mcp::ListKind::Tools, *entry).access);
    }));
    figures[4].ns.push_back(figures[3].ns.back() - figures[2].ns.back());
    const int builds = std::max(1, o.calls / static_cast<int>(std::max<size_t>(n, 1)) / 4);
    figures[5].ns.push_back(timed(builds, 1, [&](int) {
      return mcp::PrincipalCatalog(view, access, member).visible(mcp::ListKind::Tools).size();
    }));
  }

  std::printf(
      "policy: %d rules (%zu roles, %zu policy scope%s); catalog: %zu tools from %zu plugins; "
      "principal: "
      "role member, groups eng and oncall, %zu of the tools allowed; %d rounds of %d calls on %d "
      "thread%s\n\n",
      o.rules, compiled.roles().size(), compiled.scopes().size(),
      compiled.scopes().size() == 1 ? "" : "s", n, std::size(kPlugins), allowed, o.rounds, o.calls,
      o.threads, o.threads == 1 ? "" : "s");
  std::printf("| figure | min ns/call | median ns/call |\n|---|---:|---:|\n");
  for (const auto& f : figures) {
    if (f.name == "cold") {
      std::printf("| cold (one principal's catalog, %zu decisions) | %.0f | %.0f |\n", n, f.min(),
                  f.median());
    } else {
      std::printf("| %s | %.1f | %.1f |\n", f.name.c_str(), f.min(), f.median());
    }
  }
  const double added = figures[4].median();
  const bool ok = added <= o.limitNs;
  std::printf(
      "\nverdict: %s — the policy adds %.0f ns per call (cached path, median; limit %.0f ns). An "
      "uncached "
      "decision (median %.0f ns) is paid once per principal, entry and catalog generation: %.0f µs "
      "for "
      "this principal's whole catalog.\n",
      ok ? "PASS" : "FAIL", added, o.limitNs, figures[0].median(), figures[5].median() / 1000);
  return ok ? 0 : 1;
}
