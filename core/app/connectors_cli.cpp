#include "core/app/connectors_cli.hpp"

#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "core/app/admin_support.hpp"
#include "core/app/arguments.hpp"
#include "core/audit/audit_log.hpp"
#include "core/common/error.hpp"
#include "core/common/json.hpp"
#include "core/common/log.hpp"
#include "core/oauth/change_log.hpp"
#include "core/storage/plugin_store.hpp"
#include "portcullis/sdk/pin_keys.hpp"

namespace portcullis::app {

namespace {

namespace json = common::json;

const char* kConnectorsHelp =
    "Usage: portcullis connectors <command> NAME [--config FILE]\n"
    "\n"
    "  pins NAME                 the definitions connector NAME pinned: kind, name, state\n"
    "                            (pinned, or changed: waiting for approval) and hashes\n"
    "  approve NAME [PRIMITIVE]  pin the changed definitions of connector NAME (all of them,\n"
    "                            or the ones named, as tool:NAME or just NAME for a tool);\n"
    "                            running servers list them again within a second\n"
    "  --config FILE             the configuration whose database is used\n"
    "                            (default config/portcullis.yaml)\n"
    "\n"
    "Pins are kept only while sign-in (auth) is configured: they live in its database.\n"
    "See docs/connectors.md.\n";

using sdk::kPendingPrefix;
using sdk::kPinPrefix;

struct Pending {
  std::string key;   // pending:<kind>:<name>
  std::string kind;  // tool, resource, template, prompt
  std::string name;
  std::string hash;
  std::string pinned;
};

std::vector<Pending> pendingOf(storage::PluginStore& store) {
  std::vector<Pending> out;
  for (const auto& key : store.keys(kPendingPrefix)) {
    const std::string rest = key.substr(std::string(kPendingPrefix).size());
    const size_t colon = rest.find(':');
    if (colon == std::string::npos) continue;
    Pending p{key, rest.substr(0, colon), rest.substr(colon + 1), "", ""};
    if (auto value = store.get(key)) {
      try {
        auto parsed = json::asObject(json::parse(*value));
        p.hash = json::getString(parsed, "sha256").value_or("");
        p.pinned = json::getString(parsed, "pinned").value_or("");
      } catch (const std::exception&) {
      }
    }
    if (!p.hash.empty()) out.push_back(std::move(p));
  }
  return out;
}

// The connector NAME must be declared in the configuration.
void requireConnector(const config::Config& config, const std::string& name) {
  for (const auto& decl : config.plugins) {
    if (decl.name == name) {
      if (decl.kind != "connector") {
        throw common::StartupError("plugin " + name + " in " + config.source + " is a " + decl.kind +
                                   " plugin, not a connector");
      }
      return;
    }
  }
  throw common::StartupError("no connector named " + name + " in " + config.source);
}

std::string shortHash(const std::string& hash) { return hash.empty() ? "-" : hash.substr(0, 12); }

int pins(storage::PluginStore& store) {
  std::map<std::string, Pending> changed;
  for (auto& p : pendingOf(store)) changed[p.kind + ":" + p.name] = p;
  std::cout << std::left << std::setw(10) << "KIND" << std::setw(40) << "NAME" << std::setw(10) << "STATE"
            << std::setw(14) << "PINNED" << "NEW\n";
  size_t count = 0;
  for (const auto& key : store.keys(kPinPrefix)) {
    const std::string rest = key.substr(std::string(kPinPrefix).size());
    const size_t colon = rest.find(':');
    if (colon == std::string::npos) continue;
    const auto it = changed.find(rest);
    const std::string pinned = store.get(key).value_or("");
    std::cout << std::left << std::setw(10) << rest.substr(0, colon) << std::setw(40) << rest.substr(colon + 1)
              << std::setw(10) << (it == changed.end() ? "pinned" : "changed") << std::setw(14) << shortHash(pinned)
              << (it == changed.end() ? "-" : shortHash(it->second.hash)) << "\n";
    ++count;
  }
  if (count == 0) std::cout << "(nothing pinned yet: the connector pins what it first lists)\n";
  return 0;
}

int approve(Admin& admin, storage::PluginStore& store, const std::string& connector,
            const std::vector<std::string>& wanted) {
  std::vector<Pending> pending = pendingOf(store);
  std::set<std::string> named;
  for (const auto& w : wanted) named.insert(w.find(':') == std::string::npos ? "tool:" + w : w);
  std::vector<Pending> chosen;
  for (auto& p : pending) {
    if (named.empty() || named.erase(p.kind + ":" + p.name) > 0) chosen.push_back(p);
  }
  if (!named.empty()) {
    std::string missing;
    for (const auto& n : named) missing += (missing.empty() ? "" : ", ") + n;
    throw common::StartupError("connector " + connector + " has no changed definition " + missing +
                               " (see portcullis connectors pins " + connector + ")");
  }
  if (chosen.empty()) {
    std::cout << "connector " << connector << " has no changed definitions to approve\n";
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> removals;
  for (const auto& p : chosen) {
    puts.emplace_back(sdk::pinKey(p.kind, p.name), p.hash);
    removals.push_back(p.key);
  }
  store.apply(puts, removals, [&](storage::Connection& c) {
    oauth::recordChange(c, oauth::change_kind::kPlugin, connector);
  });
  if (admin.config.audit.enabled) {
    audit::AuditLog log(*admin.db);
    log.start();
    for (const auto& p : chosen) {
      mcp::AuditRecord r;
      r.at = storage::nowMillis();
      r.subject = "cli";
      r.method = "plugin/event";
      r.kind = p.kind;
      r.name = p.name;
      r.plugin = connector;
      r.decision = "definition-approved";
      r.rule = "sha256 " + shortHash(p.hash) + " pinned (was " + shortHash(p.pinned) + ")";
      log.record(std::move(r));
    }
    log.stop();
  }
  for (const auto& p : chosen) {
    std::cout << "approved " << p.kind << " " << p.name << " (sha256 " << shortHash(p.hash) << ")\n";
  }
  return 0;
}

int run(const Parsed& p) {
  const std::string sub = p.positional[0];
  if (p.positional.size() < 2) return usage("portcullis connectors " + sub + ": NAME is required", kConnectorsHelp);
  const std::string connector = p.positional[1];
  if (sub == "pins" && p.positional.size() > 2) {
    return usage("portcullis connectors pins: unexpected argument " + p.positional[2], kConnectorsHelp);
  }
  config::Config config = loadConfig(p);
  if (!config.auth.enabled) {
    throw common::StartupError("the configuration " + config.source +
                               " has no auth section: sign-in is off, so there is no database and connectors "
                               "keep their pins in memory (see docs/connectors.md)");
  }
  requireConnector(config, connector);
  Admin admin = openAdmin(std::move(config));
  storage::PluginStore store(*admin.db, connector);
  if (sub == "pins") return pins(store);
  return approve(admin, store, connector, {p.positional.begin() + 2, p.positional.end()});
}

}  // namespace

int runConnectorsCommand(const std::vector<std::string>& args) {
  Parsed p = parse(args, 2, {"config"}, {});
  if (!p.error.empty()) return usage("portcullis connectors: " + p.error, kConnectorsHelp);
  if (p.help) {
    std::cout << kConnectorsHelp;
    return 0;
  }
  const std::string sub = p.positional.empty() ? "" : p.positional[0];
  if (sub != "pins" && sub != "approve") {
    return usage(sub.empty() ? "portcullis connectors: a command is required"
                             : "portcullis connectors: unknown command " + sub,
                 kConnectorsHelp);
  }
  common::configureLogging("warning");
  return reportingErrors("connectors", [&] { return run(p); });
}

}  // namespace portcullis::app
