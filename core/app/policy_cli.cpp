#include "core/app/policy_cli.hpp"

#include <iostream>
#include <memory>
#include <optional>

#include "core/app/access_control.hpp"
#include "core/app/admin_support.hpp"
#include "core/app/arguments.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/mcp/builtin_tools.hpp"
#include "core/mcp/catalog.hpp"
#include "core/oauth/api_token_store.hpp"
#include "core/oauth/scopes.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/plugin_host/plugin_host.hpp"

namespace portcullis::app {

namespace {

namespace json = common::json;

constexpr int kExitSoftware = 70;  // EX_SOFTWARE: something unexpected

const char* kPolicyHelp =
    "Usage: portcullis policy <command>\n"
    "\n"
    "  check FILE          validate an authorization policy: FILE holds the policy itself (roles,\n"
    "                      scopes, rules) or a whole configuration with a policy section. Prints\n"
    "                      a one-line summary and exits 0, or prints each problem as\n"
    "                      FILE:LINE: PATH: message and exits 78.\n"
    "  explain --user NAME --tool NAME [--client ID] [--token ID] [--scopes \"S ...\"]\n"
    "          [--config FILE]\n"
    "                      what the server answers when NAME calls the tool, and the rule that\n"
    "                      decided: allow, deny, or \"step-up: needs SCOPES\" (a 403 asking for a\n"
    "                      broader token; \"with those scopes\" says what that token then gets).\n"
    "                      --resource URI or --prompt NAME instead of --tool ask\n"
    "                      about a resource or a prompt. The plugins of the configuration are\n"
    "                      loaded to know who serves what and what they mark admin-only.\n"
    "                      --client ID   the OAuth client the user signed in with\n"
    "                      --token ID    an API token of the user (tokens list): its client and\n"
    "                                    scopes, as the server sees a request with it\n"
    "                      --scopes      the token's scopes (default: every scope the server\n"
    "                                    offers, as after a sign-in that granted everything)\n"
    "                      With sign-in off (no auth section) every caller is anonymous: leave\n"
    "                      out --user, --client, --token and --scopes.\n"
    "\n"
    "--config FILE names the configuration (default config/portcullis.yaml).\n"
    "Exit status of explain: 0 allow; 1 deny or step-up; 64 bad usage, or an unknown user, token,\n"
    "tool, resource or prompt; 78 the configuration, its policy or a plugin is wrong.\n";

// ---------------------------------------------------------------------------
// policy check

bool hasAny(const json::ObjectPtr& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (o->has(k)) return true;
  }
  return false;
}

// FILE's policy: the file itself, or the policy section of a configuration
// (inline, or in the file its policy.file names).
config::PolicySection policyOfFile(const std::string& file) {
  config::PolicySection section = config::loadPolicyFile(file);
  auto root = json::asObject(section.document.value);
  if (!root) return section;
  if (root->has("policy")) {
    auto inner = json::asObject(section.value);
    if (inner && inner->has("file")) return config::loadConfigFile(file).policy;
    return section;
  }
  // A configuration without a policy section: the server runs open.
  if (!hasAny(root, {"roles", "scopes", "rules"}) &&
      hasAny(root,
             {"server", "plugins", "auth", "storage", "data_dir", "logging", "plugin_dirs"})) {
    section.present = false;
  }
  return section;
}

// "3 roles (admin, member, support)"
std::string counted(const std::vector<std::string>& names, const char* one, const char* many) {
  std::string out = std::to_string(names.size()) + " " + (names.size() == 1 ? one : many);
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? " (" : ", ") + names[i];
  return names.empty() ? out : out + ")";
}

// Throws common::ConfigError listing the problems.
int check(const std::string& file) {
  const policy::Policy compiled = compilePolicy(policyOfFile(file));
  if (compiled.isOpen()) {
    std::cout << file
              << ": OK: no policy section, so the server is open (every caller may use every "
              << "primitive except those a plugin marks admin-only)\n";
    return 0;
  }
  std::vector<std::string> roles;
  for (const auto& r : compiled.roles()) roles.push_back(r.name);
  std::vector<std::string> scopes;
  for (const auto& s : compiled.scopes()) scopes.push_back(s.name);
  const size_t rules = compiled.rules().size();
  std::cout << file << ": OK: " << rules << (rules == 1 ? " rule, " : " rules, ")
            << counted(roles, "role", "roles") << ", "
            << counted(scopes, "policy scope", "policy scopes") << "\n";
  return 0;
}

// ---------------------------------------------------------------------------
// policy explain

// What explain is asked about: a primitive of the catalog, and the methods
// that list and use it.
struct Asked {
  mcp::ListKind kind = mcp::ListKind::Tools;
  const char* label = "tool";
  std::string name;
  const char* listMethod = "tools/list";
  const char* useMethod = "tools/call";
};

// An error about what was named (a user, token or primitive), without the
// whole help text.
int unknown(const std::string& message) {
  std::cerr << "portcullis policy explain: " << message << std::endl;
  return kExitUsage;
}

// Every plugin of the configuration that serves primitives, created as the
// server creates them, in one catalog with the core's own tools.
class LoadedCatalog {
 public:
  LoadedCatalog(const config::Config& config, storage::Database* db)
      : host_(config.pluginDirs, nullptr, db) {
    catalog_.addProvider(std::make_shared<mcp::BuiltinTools>(catalog_));
    for (const auto& decl : config.plugins) {
      if (decl.kind == "identity") continue;
      for (auto& provider : host_.loadOne(config, decl.name).providers)
        catalog_.addProvider(std::move(provider));
    }
    view_ = catalog_.view();
  }

  const mcp::CatalogView& view() const { return *view_; }

  // The entry a request for `asked` reaches, as the dispatcher looks it up.
  const mcp::CatalogEntry* find(Asked& asked) const {
    switch (asked.kind) {
      case mcp::ListKind::Tools:
        return view_->tool(asked.name);
      case mcp::ListKind::Prompts:
        return view_->prompt(asked.name);
      default:
        break;
    }
    if (const auto* resource = view_->resource(asked.name)) return resource;
    const auto* served = view_->templateFor(asked.name);
    if (served != nullptr) {
      asked.kind = mcp::ListKind::ResourceTemplates;
      asked.label = "resource template";
    }
    return served;
  }

 private:
  // Destroyed in reverse: the view and the catalog (with the providers) go
  // before the host that loaded their libraries.
  plugin_host::PluginHost host_;
  mcp::Catalog catalog_;
  std::shared_ptr<const mcp::CatalogView> view_;
};

// A refusal before any rule is asked: the server answers 401 to every
// request of a disabled user or with a dead token.
int refusedOutright(const std::string& why) {
  std::cout << "deny\nrule: (" << why << ": every request is refused with 401)\n";
  return kExitFailure;
}

struct Who {
  mcp::Principal principal;
  std::string description;
  std::optional<std::string> refusal;  // set when the server refuses every request
};

// The principal of a request by --user (with --client or --token) as the
// server builds it from a token; returns an exit status when it cannot.
std::optional<int> principalOf(const Parsed& p, const Admin& admin, Who& who) {
  const auto username = p.option("user");
  if (!username) {
    return usage("portcullis policy explain: --user is required (sign-in is on)", kPolicyHelp);
  }
  if (p.has("client") && p.has("token")) {
    return usage("portcullis policy explain: give --client or --token, not both", kPolicyHelp);
  }
  auto user = oauth::UserDirectory(*admin.db).byUsername(*username);
  if (!user) return unknown("no user " + *username);
  who.principal = principalForUser(*user, p.option("client").value_or(""));
  who.description = user->username + " (role " + (user->role.empty() ? "-" : user->role) +
                    ", groups " + joined(user->groups) + ")";
  if (user->disabled) who.refusal = "the user is disabled";
  if (auto tokenId = p.option("token")) {
    std::optional<oauth::ApiToken> token;
    for (auto& t : oauth::ApiTokenStore(*admin.db).list()) {
      if (t.id == *tokenId) token = std::move(t);
    }
    if (!token) return unknown("no API token " + *tokenId);
    if (token->userId != user->id) {
      return unknown("the token " + *tokenId + " belongs to " +
                     (token->username.empty() ? "a deleted user" : token->username) + ", not " +
                     user->username);
    }
    who.principal.apiTokenId = token->id;
    who.principal.clientId = "api-token:" + token->id;
    who.principal.scopes = oauth::splitScopes(token->scope);
    if (token->revoked) who.refusal = "the API token is revoked";
    if (token->expiresAt <= storage::nowMillis()) who.refusal = "the API token has expired";
  }
  return std::nullopt;
}

int explain(const Parsed& p) {
  if (p.positional.size() != 1) {
    return usage("portcullis policy explain: unexpected argument " + p.positional[1], kPolicyHelp);
  }
  std::vector<Asked> asked;
  if (auto t = p.option("tool")) {
    asked.push_back({mcp::ListKind::Tools, "tool", *t, "tools/list", "tools/call"});
  }
  if (auto r = p.option("resource")) {
    asked.push_back({mcp::ListKind::Resources, "resource", *r, "resources/list", "resources/read"});
  }
  if (auto q = p.option("prompt")) {
    asked.push_back({mcp::ListKind::Prompts, "prompt", *q, "prompts/list", "prompts/get"});
  }
  if (asked.size() != 1) {
    return usage("portcullis policy explain: give one of --tool, --resource or --prompt",
                 kPolicyHelp);
  }

  config::Config config = loadConfig(p);
  PolicyAccess access(loadPolicy(config));
  Admin admin =
      config.auth.enabled ? openAdmin(std::move(config)) : Admin{std::move(config), nullptr};
  Who who;
  if (admin.config.auth.enabled) {
    if (auto status = principalOf(p, admin, who)) return *status;
  } else {
    for (const char* option : {"user", "client", "token", "scopes"}) {
      if (p.has(option)) {
        return usage(std::string("portcullis policy explain: sign-in is off in ") +
                         admin.config.source +
                         " (no auth section), so every caller is anonymous: leave out --" + option,
                     kPolicyHelp);
      }
    }
    who.description = "anonymous (sign-in is off)";
  }
  if (auto text = p.option("scopes")) {
    std::string problem;
    who.principal.scopes = parseScopes(*text, problem);
    if (!problem.empty()) return usage("portcullis policy explain: " + problem, kPolicyHelp);
  }

  const LoadedCatalog catalog(admin.config, admin.db.get());
  Asked& target = asked.front();
  const mcp::CatalogEntry* entry = catalog.find(target);
  if (entry == nullptr) {
    std::string known;
    for (const auto& e : catalog.view().entries(target.kind)) {
      known += (known.empty() ? "" : ", ") + e.key;
    }
    return unknown(std::string("no ") + target.label + " " + target.name +
                   " is served by this configuration (" + (known.empty() ? "none" : known) + ")");
  }
  if (who.refusal) return refusedOutright(*who.refusal);

  const mcp::AccessDecision d = access.decide(who.principal, target.kind, *entry);
  // The answer to this request: with sign-in, the token also needs the
  // method's own scope, which the server asks for before the policy has a
  // say (403 insufficient_scope, with the scopes the policy wants).
  const bool signedIn = who.principal.authenticated;
  const std::string useScope = oauth::requiredScope(target.useMethod, nullptr);
  const std::string listScope = oauth::requiredScope(target.listMethod, nullptr);
  std::vector<std::string> needed = d.scopes;
  if (signedIn && !oauth::hasScope(who.principal.scopes, useScope)) needed.push_back(useScope);
  if (needed.empty()) {
    std::cout << (d.access == mcp::Access::Allowed ? "allow" : "deny") << "\n";
  } else {
    std::cout << "step-up: needs " << oauth::joinScopes(needed) << "\n";
  }
  std::cout << "rule: " << d.rule << "\n";
  if (!needed.empty()) {
    // What a token with those scopes then gets.
    std::cout << "with those scopes: " << (d.access == mcp::Access::Hidden ? "deny" : "allow")
              << "\n";
  }
  std::cout << target.label << ": " << entry->key << " (plugin "
            << (entry->provider ? entry->provider->name() : "-")
            << (entry->adminOnly ? ", marked admin-only" : "") << ")\n";
  std::cout << "user: " << who.description << "\n";
  if (who.principal.authenticated) {
    std::cout << "client: " << (who.principal.clientId.empty() ? "-" : who.principal.clientId)
              << "\n";
    std::cout << "scopes: " << oauth::joinScopes(who.principal.scopes) << "\n";
  }
  // Lists show what may be used and what a broader token may use.
  std::cout << "listed: ";
  if (d.access == mcp::Access::Hidden) {
    std::cout << "no\n";
  } else if (signedIn && !oauth::hasScope(who.principal.scopes, listScope)) {
    std::cout << "no (" << target.listMethod << " needs " << listScope << ")\n";
  } else {
    std::cout << "yes\n";
  }
  return d.access == mcp::Access::Allowed && needed.empty() ? 0 : kExitFailure;
}

}  // namespace

int runPolicyCommand(const std::vector<std::string>& args) {
  Parsed p =
      parse(args, 2, {"config", "user", "client", "token", "scopes", "tool", "resource", "prompt"});
  if (!p.error.empty()) return usage("portcullis policy: " + p.error, kPolicyHelp);
  if (p.help) {
    std::cout << kPolicyHelp;
    return 0;
  }
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  // Library messages (migrations, plugin loading) only when something is wrong.
  common::configureLogging("warning");
  if (sub == "check" && (p.positional.size() != 2 || !p.options.empty())) {
    return usage("portcullis policy check: give exactly one FILE and no options", kPolicyHelp);
  }
  if (sub != "check" && sub != "explain") {
    return usage(sub.empty() ? "portcullis policy: a command is required"
                             : "portcullis policy: unknown command " + sub,
                 kPolicyHelp);
  }
  return reportingErrors(
      "policy " + sub, [&] { return sub == "check" ? check(p.positional[1]) : explain(p); },
      kExitSoftware);
}

}  // namespace portcullis::app
