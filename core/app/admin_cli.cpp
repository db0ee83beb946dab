#include "core/app/admin_cli.hpp"

#include "core/accounts/account_links.hpp"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "core/app/admin_support.hpp"
#include "core/app/arguments.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "core/oauth/api_token_store.hpp"
#include "core/oauth/client_registry.hpp"
#include "core/oauth/grant_store.hpp"
#include "core/oauth/key_ring.hpp"
#include "core/oauth/scopes.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/plugin_host/plugin_host.hpp"
#include "core/storage/database.hpp"

namespace portcullis::app {

namespace {

namespace json = common::json;

const char* kUsersHelp =
    "Usage: portcullis users <command> [--config FILE]\n"
    "\n"
    "  add NAME [--email E] [--role ROLE] [--password-stdin]\n"
    "                      create a user (role member unless given). With --password-stdin the\n"
    "                      password is read from standard input (asked for twice on a terminal);\n"
    "                      without it the user signs in by e-mailed link, when enabled.\n"
    "  list                every user: name, e-mail, role, state, created, last sign-in\n"
    "  set-role NAME ROLE  change a user's role; it applies to their next request, and their open\n"
    "                      sessions are told that their lists changed\n"
    "  disable NAME        refuse the user's sign-in and every token they hold, at once\n"
    "  enable NAME         undo disable\n"
    "\n"
    "A ROLE is admin, member or a role the configuration's policy declares (docs/policy.md).\n"
    "--config FILE names the configuration whose database is used (default\n"
    "config/portcullis.yaml). Changes reach a running server within a second.\n";

const char* kTokensHelp =
    "Usage: portcullis tokens <command> [--config FILE]\n"
    "\n"
    "  create --user NAME [--scopes \"S ...\"] [--ttl 30d] [--name LABEL]\n"
    "                      create an API token for a client without OAuth. The token is printed\n"
    "                      once, alone on standard output; only its hash is kept. Scopes default\n"
    "                      to every MCP scope (tools:read tools:call resources:read prompts:read)\n"
    "                      and every scope the configuration's policy declares.\n"
    "  list                every token: id, label, user, scopes, created, expires, last used, state\n"
    "  revoke ID           revoke a token; a running server refuses it within a second\n"
    "\n"
    "Send the token as \"Authorization: Bearer <token>\" to the MCP endpoint.\n";

const char* kClientsHelp =
    "Usage: portcullis clients <command> [--config FILE]\n"
    "\n"
    "  list                every OAuth client: id, name, how it registered (CIMD, DCR,\n"
    "                      configured), its users and scopes, created, last used\n"
    "  revoke ID           end every grant and token of the client; its next request is refused.\n"
    "                      A registered (DCR) client must register again; a CIMD or configured\n"
    "                      client can be authorized again. System-managed clients cannot be\n"
    "                      revoked here.\n";

const char* kAccountsHelp =
    "Usage: portcullis accounts <command> [--config FILE]\n"
    "\n"
    "  list [--user NAME]           the accounts users linked at upstreams (connectors with\n"
    "                               auth.user_oauth): user, account, scope, linked, updated,\n"
    "                               token expiry, whether it can be refreshed\n"
    "  revoke --user NAME ACCOUNT   forget the user's tokens for ACCOUNT (a connector's name);\n"
    "                               their next call asks them to link again. The grant at the\n"
    "                               upstream is revoked only when the user unlinks on /accounts.\n"
    "\n"
    "Users see and remove their own links at /accounts. See docs/connectors.md.\n";

const char* kKeysHelp =
    "Usage: portcullis keys <command> [--config FILE]\n"
    "\n"
    "  rotate              make a new signing key; it signs from now on and is published in the\n"
    "                      JWKS, and the previous one verifies until its tokens expire\n"
    "  list                the signing keys: kid, algorithm, created, retired\n";

// The roles a policy knows, as "admin, member or auditor".
std::string roleChoices(const policy::Policy& policy) {
  std::string out;
  const auto& roles = policy.roles();
  for (size_t i = 0; i < roles.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == roles.size() ? " or " : ", ") + roles[i].name;
  }
  return out;
}

std::string formatTime(std::optional<int64_t> millis) {
  if (!millis || *millis <= 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(*millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M", &tm);
  return out;
}

std::string replaced(std::string text, char from, char to) {
  std::replace(text.begin(), text.end(), from, to);
  return text;
}

// Columns sized to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const {
    std::vector<size_t> widths(rows_.front().size(), 0);
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
      out << line << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Reads a password: one line from a pipe, or typed twice without echo.
std::optional<std::string> readPassword(const std::string& username, std::string& problem) {
  auto line = [](std::string& out) {
    if (!std::getline(std::cin, out)) return false;
    if (!out.empty() && out.back() == '\r') out.pop_back();
    return true;
  };
  if (isatty(STDIN_FILENO) == 0) {
    std::string password;
    if (!line(password)) {
      problem = "--password-stdin: nothing on standard input";
      return std::nullopt;
    }
    return password;
  }
  termios saved{};
  tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string first;
  std::string second;
  std::cerr << "Password for " << username << ": " << std::flush;
  const bool ok1 = line(first);
  std::cerr << "\nRepeat it: " << std::flush;
  const bool ok2 = ok1 && line(second);
  std::cerr << std::endl;
  tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  if (!ok2) {
    problem = "no password given";
    return std::nullopt;
  }
  if (first != second) {
    problem = "the passwords do not match";
    return std::nullopt;
  }
  return first;
}

int usersAdd(const Parsed& p) {
  if (p.positional.size() != 2) return usage("portcullis users add: give exactly one NAME", kUsersHelp);
  const std::string role = p.option("role").value_or("member");
  Admin admin = openAdmin(p);
  if (const policy::Policy policy = loadPolicy(admin.config); !policy.knowsRole(role)) {
    return usage("portcullis users add: --role is " + roleChoices(policy) + ", not \"" + role + "\"", kUsersHelp);
  }
  std::optional<std::string> password;
  if (p.has("password-stdin")) {
    std::string problem;
    password = readPassword(p.positional[1], problem);
    if (!password) return fail("users add", problem);
  }
  oauth::UserDirectory users(*admin.db);
  oauth::User user;
  try {
    user = users.create(p.positional[1], p.option("email").value_or(""), role, admin.config.auth.identity);
  } catch (const std::invalid_argument& e) {
    return fail("users add", e.what());
  }
  if (password) {
    // The identity plugin owns passwords: it hashes and keeps them.
    plugin_host::PluginHost host(admin.config.pluginDirs, nullptr, admin.db.get());
    try {
      auto identity = host.loadOne(admin.config, admin.config.auth.identity).identity(admin.config.auth.identity);
      if (!identity) throw std::runtime_error("the identity plugin did not load");
      json::ObjectPtr command = json::makeObject();
      command->set("command", std::string("set_password"));
      command->set("username", user.username);
      command->set("password", *password);
      identity->admin(command);
    } catch (const std::exception& e) {
      users.remove(user.id);
      return fail("users add", std::string("the password was not accepted: ") + e.what());
    }
  }
  std::cout << "created user " << user.username << " (" << user.role << ")"
            << (password ? "" : "; no password set: the user signs in by e-mailed link, when enabled") << std::endl;
  return 0;
}

int usersCommand(const Parsed& p) {
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  if (sub == "add") return usersAdd(p);
  if (sub == "list") {
    if (p.positional.size() != 1) return usage("portcullis users list: no arguments", kUsersHelp);
    Admin admin = openAdmin(p);
    Table table({"USERNAME", "EMAIL", "ROLE", "STATE", "CREATED", "LAST SIGN-IN"});
    for (const auto& u : oauth::UserDirectory(*admin.db).list()) {
      table.add({u.username, u.email.empty() ? "-" : u.email, u.role, u.disabled ? "disabled" : "active",
                 formatTime(u.createdAt), formatTime(u.lastLoginAt)});
    }
    table.print(std::cout);
    return 0;
  }
  if (sub == "set-role") {
    if (p.positional.size() != 3) return usage("portcullis users set-role: give NAME and ROLE", kUsersHelp);
    const std::string& role = p.positional[2];
    Admin admin = openAdmin(p);
    if (const policy::Policy policy = loadPolicy(admin.config); !policy.knowsRole(role)) {
      return usage("portcullis users set-role: ROLE is " + roleChoices(policy) + ", not \"" + role + "\"",
                   kUsersHelp);
    }
    if (!oauth::UserDirectory(*admin.db).setRole(p.positional[1], role)) {
      return fail("users set-role", "no user " + p.positional[1]);
    }
    std::cout << common::toLower(p.positional[1]) << " is now " << role << std::endl;
    return 0;
  }
  if (sub == "disable" || sub == "enable") {
    if (p.positional.size() != 2) return usage("portcullis users " + sub + ": give exactly one NAME", kUsersHelp);
    Admin admin = openAdmin(p);
    if (!oauth::UserDirectory(*admin.db).setDisabled(p.positional[1], sub == "disable")) {
      return fail("users " + sub, "no user " + p.positional[1]);
    }
    std::cout << common::toLower(p.positional[1]) << " is " << sub << "d" << std::endl;
    return 0;
  }
  return usage(sub.empty() ? "portcullis users: a command is required" : "portcullis users: unknown command " + sub,
               kUsersHelp);
}

int tokensCreate(const Parsed& p) {
  if (p.positional.size() != 1) return usage("portcullis tokens create: unexpected argument", kTokensHelp);
  const auto username = p.option("user");
  if (!username) return usage("portcullis tokens create: --user is required", kTokensHelp);
  const std::string ttlText = p.option("ttl").value_or("30d");
  const auto ttl = common::parseDuration(ttlText);
  if (!ttl || ttl->count() <= 0) {
    return usage("portcullis tokens create: --ttl is a duration such as 30d, 12h or 90m, not \"" + ttlText + "\"",
                 kTokensHelp);
  }
  Admin admin = openAdmin(p);
  // The policy's own scopes are offered besides the MCP scopes, as by the server.
  loadPolicy(admin.config);
  std::vector<std::string> scopes;
  if (auto text = p.option("scopes")) {
    std::string problem;
    scopes = parseScopes(*text, problem);
    if (!problem.empty()) return usage("portcullis tokens create: " + problem, kTokensHelp);
  }
  scopes = oauth::normaliseRequest(scopes);
  auto user = oauth::UserDirectory(*admin.db).byUsername(*username);
  if (!user) return fail("tokens create", "no user " + *username);
  if (user->disabled) return fail("tokens create", "the user " + user->username + " is disabled");
  oauth::ApiToken record;
  const std::string token =
      oauth::ApiTokenStore(*admin.db).create(user->id, oauth::joinScopes(scopes), *ttl, p.option("name").value_or(""), record);
  // The token alone on standard output, so a script can capture it.
  std::cout << token << std::endl;
  std::cerr << "created " << record.id << " for " << user->username << " (" << oauth::joinScopes(scopes)
            << "), expires " << formatTime(record.expiresAt) << " UTC; it is not shown again" << std::endl;
  return 0;
}

int tokensCommand(const Parsed& p) {
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  if (sub == "create") return tokensCreate(p);
  if (sub == "list") {
    if (p.positional.size() != 1) return usage("portcullis tokens list: no arguments", kTokensHelp);
    Admin admin = openAdmin(p);
    const int64_t now = storage::nowMillis();
    Table table({"ID", "NAME", "USER", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "STATE"});
    for (const auto& t : oauth::ApiTokenStore(*admin.db).list()) {
      const std::string state = t.revoked ? "revoked" : t.expiresAt <= now ? "expired" : "active";
      table.add({t.id, t.name.empty() ? "-" : t.name, t.username.empty() ? "(deleted)" : t.username,
                 replaced(t.scope, ' ', ','), formatTime(t.createdAt), formatTime(t.expiresAt),
                 formatTime(t.lastUsedAt), state});
    }
    table.print(std::cout);
    return 0;
  }
  if (sub == "revoke") {
    if (p.positional.size() != 2) return usage("portcullis tokens revoke: give exactly one ID", kTokensHelp);
    Admin admin = openAdmin(p);
    if (!oauth::ApiTokenStore(*admin.db).revoke(p.positional[1])) {
      return fail("tokens revoke", "no active token " + p.positional[1]);
    }
    std::cout << "revoked " << p.positional[1] << std::endl;
    return 0;
  }
  return usage(sub.empty() ? "portcullis tokens: a command is required" : "portcullis tokens: unknown command " + sub,
               kTokensHelp);
}

oauth::ClientRegistry registryOf(Admin& admin) {
  // Listing and revoking never fetch metadata documents.
  return oauth::ClientRegistry(*admin.db, admin.config.auth.clients, oauth::FetcherOptions{}, false);
}

int clientsCommand(const Parsed& p) {
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  if (sub == "list") {
    if (p.positional.size() != 1) return usage("portcullis clients list: no arguments", kClientsHelp);
    Admin admin = openAdmin(p);
    auto registry = registryOf(admin);
    oauth::GrantStore grants(*admin.db);
    Table table({"ID", "NAME", "KIND", "USERS", "SCOPES", "CREATED", "LAST USED", "STATE"});
    for (const auto& c : registry.list()) {
      std::string kind = c.kind == "cimd" ? "CIMD" : c.kind == "dcr" ? "DCR" : c.kind;
      if (c.systemManaged) kind += " (system)";
      std::string state = "active";
      if (c.revokedAt) state = c.kind == "dcr" ? "revoked" : "revoked " + formatTime(c.revokedAt);
      table.add({c.clientId, c.name.empty() ? "-" : c.name, kind, joined(grants.usersOfClient(c.clientId)),
                 joined(grants.scopesOfClient(c.clientId)), formatTime(c.createdAt), formatTime(c.lastUsedAt),
                 state});
    }
    table.print(std::cout);
    return 0;
  }
  if (sub == "revoke") {
    if (p.positional.size() != 2) return usage("portcullis clients revoke: give exactly one ID", kClientsHelp);
    Admin admin = openAdmin(p);
    auto registry = registryOf(admin);
    std::string problem;
    if (!registry.revoke(p.positional[1], problem)) return fail("clients revoke", problem);
    std::cout << "revoked " << p.positional[1] << ": its grants and tokens no longer work" << std::endl;
    return 0;
  }
  return usage(sub.empty() ? "portcullis clients: a command is required" : "portcullis clients: unknown command " + sub,
               kClientsHelp);
}

int keysCommand(const Parsed& p) {
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  if ((sub != "rotate" && sub != "list") || p.positional.size() != 1) {
    return usage(sub.empty() ? "portcullis keys: a command is required" : "portcullis keys: unknown command " + sub,
                 kKeysHelp);
  }
  Admin admin = openAdmin(p);
  if (sub == "list") {
    Table table({"KID", "ALG", "CREATED", "RETIRED"});
    for (const auto& k : oauth::KeyRing::stored(*admin.db)) {
      table.add({k.kid, k.alg, formatTime(k.createdAt), formatTime(k.retiredAt)});
    }
    table.print(std::cout);
    return 0;
  }
  // The secret key is created only along with the first signing key: with
  // keys already sealed, a new secret could not open them.
  const bool fresh = oauth::KeyRing::stored(*admin.db).empty();
  std::string secret;
  try {
    secret = oauth::loadSecretKey(admin.config.auth.secretKeyFile, fresh);
  } catch (const std::exception& e) {
    return fail("keys " + sub, e.what());
  }
  oauth::KeyRing keys(*admin.db, secret, admin.config.auth.signingAlg, admin.config.auth.accessTokenTtl);
  try {
    keys.load();
  } catch (const std::exception& e) {
    return fail("keys " + sub, e.what());
  }
  // load() makes the first key of an empty ring; rotating then would retire it at once.
  if (fresh) {
    std::cout << "new signing key " << keys.current()->kid() << " (" << keys.current()->alg() << ")" << std::endl;
    return 0;
  }
  auto key = keys.rotate();
  std::cout << "new signing key " << key->kid() << " (" << key->alg() << "); the previous one verifies until its "
            << "tokens expire" << std::endl;
  return 0;
}

int accountsCommand(const Parsed& p) {
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  if (sub == "list") {
    if (p.positional.size() != 1) return usage("portcullis accounts list: no arguments", kAccountsHelp);
    Admin admin = openAdmin(p);
    oauth::UserDirectory users(*admin.db);
    std::optional<std::string> only;
    if (auto name = p.option("user")) {
      const auto user = users.byUsername(*name);
      if (!user) return fail("accounts list", "no user " + *name);
      only = user->id;
    }
    // Listing never unseals a token: no secret key needed.
    accounts::UpstreamOAuthClient unused;
    accounts::AccountLinks links(*admin.db, "", unused);
    Table table({"USER", "ACCOUNT", "SCOPE", "LINKED", "UPDATED", "EXPIRES", "REFRESH"});
    for (const auto& l : only ? links.linkedBy(*only) : links.all()) {
      const auto user = users.byId(l.userId);
      table.add({user ? user->username : l.userId, l.account, l.scope.empty() ? "-" : replaced(l.scope, ' ', ','),
                 formatTime(l.createdAt), formatTime(l.updatedAt),
                 l.expiresAt == 0 ? "-" : formatTime(l.expiresAt), l.refreshable ? "yes" : "no"});
    }
    table.print(std::cout);
    return 0;
  }
  if (sub == "revoke") {
    if (p.positional.size() != 2 || !p.option("user")) {
      return usage("portcullis accounts revoke: give --user NAME and exactly one ACCOUNT", kAccountsHelp);
    }
    Admin admin = openAdmin(p);
    const auto user = oauth::UserDirectory(*admin.db).byUsername(*p.option("user"));
    if (!user) return fail("accounts revoke", "no user " + *p.option("user"));
    accounts::UpstreamOAuthClient unused;
    accounts::AccountLinks links(*admin.db, "", unused);
    if (!links.unlink(user->id, p.positional[1])) {
      return fail("accounts revoke", user->username + " has not linked " + p.positional[1]);
    }
    std::cout << "forgot " << user->username << "'s tokens for " << p.positional[1]
              << "; their next call asks them to link again" << std::endl;
    return 0;
  }
  return usage(sub.empty() ? "portcullis accounts: a command is required"
                           : "portcullis accounts: unknown command " + sub,
               kAccountsHelp);
}

}  // namespace

bool isAdminCommand(const std::string& command) {
  return command == "users" || command == "tokens" || command == "clients" || command == "keys" ||
         command == "accounts";
}

int runAdminCommand(const std::vector<std::string>& args) {
  const std::string& command = args.at(1);
  const char* help = command == "users"    ? kUsersHelp
                     : command == "tokens" ? kTokensHelp
                     : command == "clients" ? kClientsHelp
                     : command == "accounts" ? kAccountsHelp
                                            : kKeysHelp;
  Parsed p = command == "users"    ? parse(args, 2, {"config", "email", "role"}, {"password-stdin"})
             : command == "tokens" ? parse(args, 2, {"config", "user", "scopes", "ttl", "name"})
             : command == "accounts" ? parse(args, 2, {"config", "user"})
                                   : parse(args, 2, {"config"});
  if (!p.error.empty()) return usage("portcullis " + command + ": " + p.error, help);
  if (p.help) {
    std::cout << help;
    return 0;
  }
  // Library messages (migrations, plugin loading) only when something is wrong.
  common::configureLogging("warning");
  return reportingErrors(command, [&] {
    if (command == "users") return usersCommand(p);
    if (command == "tokens") return tokensCommand(p);
    if (command == "clients") return clientsCommand(p);
    if (command == "accounts") return accountsCommand(p);
    return keysCommand(p);
  });
}

}  // namespace portcullis::app
