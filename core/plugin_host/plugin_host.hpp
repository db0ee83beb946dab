#pragma once
// Loads plugin libraries named in YAML, checks them against the C ABI, checks
// their config against the schema each one ships, and wraps each instance as
// an mcp::PrimitiveProvider. Every failure is reported with the plugin's name,
// its YAML path and line, and the reason; none of them crashes the server.

#include <memory>
#include <string>
#include <vector>

#include "core/common/error.hpp"
#include "core/plugin_host/hosted_plugin.hpp"
#include "core/config/config.hpp"
#include "core/mcp/access.hpp"
#include "core/mcp/provider.hpp"
#include "core/oauth/identity.hpp"
#include "core/storage/database.hpp"

struct pc_plugin;

namespace portcullis::plugin_host {

class Library;

// What `portcullis plugins list` shows for one declared plugin.
struct PluginReport {
  std::string name;
  std::string kind;
  std::string library;  // resolved path, or the name as declared when not found
  std::string abiVersion;
  std::string pluginVersion;
  std::string state;  // "ok" or "error: <reason>"
  std::string health;  // connectors: "up", "degraded: <detail>" or "down: <detail>"; others empty
  std::vector<common::ConfigIssue> issues;  // what is wrong, located in the YAML
};

// The plugin instances a configuration declares, by kind, in declared order.
struct LoadedPlugins {
  std::vector<std::shared_ptr<mcp::PrimitiveProvider>> providers;
  std::vector<std::shared_ptr<oauth::IdentityProvider>> identities;

  std::shared_ptr<oauth::IdentityProvider> identity(const std::string& name) const;
};

class PluginHost {
 public:
  // searchDirs: where a bare library name is looked up, in order. database
  // backs the plugins' key-value stores; may be null.
  PluginHost(std::vector<std::string> searchDirs, mcp::ChangeSink* changes, storage::Database* database = nullptr);
  // Where plugins' record_event goes; set before loading. Null: nowhere.
  void setAuditSink(mcp::AuditSink* audit) { services_.audit = audit; }
  // Where plugins' linked accounts are kept, and the URL the server is
  // reached at (for link pages); set before loading. Null: no linking.
  void setLinkedAccounts(accounts::AccountLinks* accounts, std::function<std::string()> baseUrl) {
    services_.accounts = accounts;
    services_.baseUrl = std::move(baseUrl);
  }
  ~PluginHost();

  // Loads and creates every declared plugin, in order. Throws
  // common::ConfigError listing every plugin that failed.
  LoadedPlugins loadAll(const config::Config& config);
  // Loads and creates one plugin (the CLI needs only the identity plugin).
  LoadedPlugins loadOne(const config::Config& config, const std::string& name);

  // Loads and checks a plugin without creating it.
  PluginReport inspect(const config::PluginDecl& decl, const config::Config& config);

  // The directories searched when config.plugin_dirs is empty: next to the
  // executable ("<dir>/plugins") and the install location.
  static std::vector<std::string> defaultSearchDirs();

  // The host's ABI version, "major.minor".
  static std::string abiVersion();

 private:
  std::shared_ptr<Library> open(const config::PluginDecl& decl, std::string& resolved);
  void checkConfig(const config::PluginDecl& decl, const config::Config& config,
                   const Library& library);

  void load(const config::PluginDecl& decl, const config::Config& config, LoadedPlugins& into);

  std::vector<std::string> searchDirs_;
  mcp::ChangeSink* changes_;
  storage::Database* database_;
  HostServices services_;
};

}  // namespace portcullis::plugin_host
