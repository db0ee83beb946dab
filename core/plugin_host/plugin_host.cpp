#include "core/plugin_host/plugin_host.hpp"

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <cstddef>
#include <filesystem>

#include "core/common/error.hpp"
#include "core/common/json_schema.hpp"
#include "core/common/log.hpp"
#include "core/plugin_host/identity_adapter.hpp"
#include "core/plugin_host/primitives_adapter.hpp"
#include "portcullis/plugin_abi.h"

namespace portcullis::plugin_host {

namespace json = common::json;
namespace fs = std::filesystem;

// A loaded library and its validated descriptor. Shared by every instance it
// made, so the code stays mapped while any of them is alive.
class Library {
 public:
  Library(const std::string& path, std::string& error) {
    try {
      library_.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
      error = std::string("cannot be loaded: ") + e.what();
      return;
    }
    if (!library_.has(PORTCULLIS_ENTRY_SYMBOL)) {
      error = std::string("is not a Portcullis plugin: it has no ") + PORTCULLIS_ENTRY_SYMBOL +
              " symbol";
      return;
    }
    auto entry = library_.get<const pc_plugin*()>(PORTCULLIS_ENTRY_SYMBOL);
    try {
      descriptor_ = entry();
    } catch (...) {
      error = "its entry function threw";
      return;
    }
    error = check();
    if (!error.empty()) descriptor_ = nullptr;
  }

  const pc_plugin* descriptor() const { return descriptor_; }

 private:
  std::string check() const {
    const pc_plugin* d = descriptor_;
    if (d == nullptr) return "its entry function returned no descriptor";
    if (d->magic != PORTCULLIS_ABI_MAGIC) return "its descriptor has the wrong magic number (not built against this SDK)";
    const std::string theirs = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
    if (d->abi_major != PORTCULLIS_ABI_MAJOR) {
      return "was built for plugin ABI " + theirs + "; this server speaks " + PluginHost::abiVersion();
    }
    if (d->abi_minor > PORTCULLIS_ABI_MINOR) {
      return "needs plugin ABI " + theirs + ", newer than this server's " + PluginHost::abiVersion();
    }
    if (d->size < offsetof(pc_plugin, identity)) return "its descriptor is truncated";
    if (d->create == nullptr || d->destroy == nullptr) return "its descriptor lacks create/destroy";
    if (d->name == nullptr || d->config_schema == nullptr) return "its descriptor lacks a name or config schema";
    if (d->kind == PC_KIND_PRIMITIVES || d->kind == PC_KIND_CONNECTOR) {
      const pc_primitives* p = d->primitives;
      if (p == nullptr || p->size < sizeof(pc_primitives) || p->list == nullptr || p->invoke == nullptr) {
        return "its descriptor lacks the primitives functions";
      }
    }
    if (d->kind == PC_KIND_IDENTITY) {
      const pc_identity* i = d->size >= offsetof(pc_plugin, reserved) ? d->identity : nullptr;
      if (i == nullptr || i->size < sizeof(pc_identity) || i->login_form == nullptr || i->authenticate == nullptr ||
          i->admin == nullptr) {
        return "its descriptor lacks the identity functions";
      }
    }
    return {};
  }

  boost::dll::shared_library library_;
  const pc_plugin* descriptor_ = nullptr;
};

namespace {

const char* kindName(uint32_t kind) {
  switch (kind) {
    case PC_KIND_PRIMITIVES:
      return "primitives";
    case PC_KIND_CONNECTOR:
      return "connector";
    case PC_KIND_IDENTITY:
      return "identity";
  }
  return "unknown";
}

std::string where(const config::PluginDecl& decl) {
  return "plugin \"" + decl.name + "\"";
}

}  // namespace

std::shared_ptr<oauth::IdentityProvider> LoadedPlugins::identity(const std::string& name) const {
  for (const auto& i : identities) {
    if (i->name() == name) return i;
  }
  return nullptr;
}

PluginHost::PluginHost(std::vector<std::string> searchDirs, mcp::ChangeSink* changes, storage::Database* database)
    : searchDirs_(std::move(searchDirs)), changes_(changes), database_(database) {
  if (searchDirs_.empty()) searchDirs_ = defaultSearchDirs();
}

PluginHost::~PluginHost() = default;

std::string PluginHost::abiVersion() {
  return std::to_string(PORTCULLIS_ABI_MAJOR) + "." + std::to_string(PORTCULLIS_ABI_MINOR);
}

std::vector<std::string> PluginHost::defaultSearchDirs() {
  std::vector<std::string> dirs;
  try {
    const fs::path exe = boost::dll::program_location();
    dirs.push_back((exe.parent_path() / "plugins").string());
    // Installed: <prefix>/bin/portcullis and <prefix>/<libdir>/portcullis/plugins.
    dirs.push_back((exe.parent_path().parent_path() / PORTCULLIS_INSTALL_PLUGIN_DIR).string());
  } catch (const std::exception&) {
  }
  return dirs;
}

std::shared_ptr<Library> PluginHost::open(const config::PluginDecl& decl, std::string& resolved) {
  std::vector<fs::path> candidates;
  const fs::path declared(decl.library);
  auto addVariants = [&](const fs::path& base) {
    candidates.push_back(base);
    if (base.extension() != ".so") {
      candidates.push_back(fs::path(base.string() + ".so"));
      candidates.push_back(base.parent_path() / ("lib" + base.filename().string() + ".so"));
    }
  };
  if (decl.library.find('/') != std::string::npos) {
    addVariants(declared);
  } else {
    for (const auto& dir : searchDirs_) addVariants(fs::path(dir) / declared);
  }
  resolved.clear();
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) {
      resolved = fs::absolute(candidate, ec).string();
      break;
    }
  }
  if (resolved.empty()) {
    std::string searched;
    for (const auto& c : candidates) searched += (searched.empty() ? "" : ", ") + c.string();
    throw common::ConfigError("", {{decl.path + ".library", 0,
                                    where(decl) + ": library \"" + decl.library +
                                        "\" not found (looked for " + searched + ")"}});
  }
  std::string error;
  auto library = std::make_shared<Library>(resolved, error);
  if (!error.empty()) {
    throw common::ConfigError("", {{decl.path + ".library", 0,
                                    where(decl) + ": " + resolved + " " + error}});
  }
  const uint32_t kind = library->descriptor()->kind;
  if (decl.kind != kindName(kind)) {
    throw common::ConfigError("", {{decl.path + ".kind", 0,
                                    where(decl) + ": the library is a " +
                                        std::string(kindName(kind)) + " plugin, not " + decl.kind}});
  }
  return library;
}

void PluginHost::checkConfig(const config::PluginDecl& decl, const config::Config& config,
                             const Library& library) {
  std::vector<common::ConfigIssue> issues;
  std::unique_ptr<common::JsonSchema> schema;
  try {
    schema = std::make_unique<common::JsonSchema>(
        common::JsonSchema::fromText(library.descriptor()->config_schema));
  } catch (const std::exception& e) {
    throw common::ConfigError("", {{decl.path, 0,
                                    where(decl) + ": the plugin's config schema is invalid: " +
                                        e.what()}});
  }
  for (const auto& issue : schema->validate(decl.config, decl.path + ".config")) {
    issues.push_back({issue.path, config.document.lineOf(issue.path), where(decl) + ": " + issue.message});
  }
  if (!issues.empty()) throw common::ConfigError("", issues);
}

PluginReport PluginHost::inspect(const config::PluginDecl& decl, const config::Config& config) {
  PluginReport report{decl.name, decl.kind, decl.library, "", "", "ok", "", {}};
  try {
    std::string resolved;
    auto library = open(decl, resolved);
    report.library = resolved;
    const pc_plugin* d = library->descriptor();
    report.abiVersion = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
    report.pluginVersion = d->version != nullptr ? d->version : "";
    checkConfig(decl, config, *library);
    // A connector is only as good as its upstream: start one to ask.
    if (decl.kind == "connector") {
      std::string reason;
      HostServices checking;
      checking.checkAccountsOnly = config.auth.enabled;
      auto provider = PrimitivesAdapter::create(decl.name, library, d, json::stringify(decl.config), nullptr,
                                                nullptr, reason, checking);
      if (!provider) {
        report.state = "error: failed to start: " + reason;
        return report;
      }
      if (auto health = provider->health()) {
        report.health = json::getString(health, "status").value_or("down");
        if (auto detail = json::getString(health, "detail"); detail && !detail->empty()) report.health += ": " + *detail;
      }
    }
  } catch (const common::ConfigError& e) {
    std::string reasons;
    for (auto issue : e.issues()) {
      reasons += (reasons.empty() ? "" : "; ") + (issue.path.empty() ? "" : issue.path + ": ") + issue.message;
      if (issue.line == 0) issue.line = config.document.lineOf(issue.path);
      report.issues.push_back(std::move(issue));
    }
    report.state = "error: " + reasons;
  }
  return report;
}

void PluginHost::load(const config::PluginDecl& decl, const config::Config& config, LoadedPlugins& into) {
  std::string resolved;
  auto library = open(decl, resolved);
  checkConfig(decl, config, *library);
  std::string reason;
  auto store = database_ != nullptr ? std::make_unique<storage::PluginStore>(*database_, decl.name) : nullptr;
  const std::string configJson = json::stringify(decl.config);
  if (decl.kind == "identity") {
    auto identity = IdentityAdapter::create(decl.name, library, library->descriptor(), configJson, std::move(store), reason);
    if (!identity) throw common::ConfigError("", {{decl.path, 0, where(decl) + ": failed to start: " + reason}});
    into.identities.push_back(std::move(identity));
  } else {
    auto provider = PrimitivesAdapter::create(decl.name, library, library->descriptor(), configJson, changes_,
                                              std::move(store), reason, services_);
    if (!provider) throw common::ConfigError("", {{decl.path, 0, where(decl) + ": failed to start: " + reason}});
    into.providers.push_back(std::move(provider));
  }
  common::logger("plugins").information("loaded plugin %s (%s %s) from %s", decl.name, decl.kind,
                                        std::string(library->descriptor()->version ? library->descriptor()->version : "?"),
                                        resolved);
}

LoadedPlugins PluginHost::loadAll(const config::Config& config) {
  LoadedPlugins loaded;
  std::vector<common::ConfigIssue> issues;
  for (const auto& decl : config.plugins) {
    try {
      load(decl, config, loaded);
    } catch (const common::ConfigError& e) {
      for (auto issue : e.issues()) {
        if (issue.line == 0) issue.line = config.document.lineOf(issue.path);
        issues.push_back(std::move(issue));
      }
    }
  }
  if (!issues.empty()) throw common::ConfigError(config.source, issues);
  return loaded;
}

LoadedPlugins PluginHost::loadOne(const config::Config& config, const std::string& name) {
  LoadedPlugins loaded;
  for (const auto& decl : config.plugins) {
    if (decl.name != name) continue;
    try {
      load(decl, config, loaded);
    } catch (const common::ConfigError& e) {
      std::vector<common::ConfigIssue> issues;
      for (auto issue : e.issues()) {
        if (issue.line == 0) issue.line = config.document.lineOf(issue.path);
        issues.push_back(std::move(issue));
      }
      throw common::ConfigError(config.source, issues);
    }
  }
  return loaded;
}

}  // namespace portcullis::plugin_host
