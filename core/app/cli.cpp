#include "core/app/cli.hpp"

#include "core/app/access_control.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>

#include <pthread.h>

#include "core/app/admin_cli.hpp"
#include "core/app/arguments.hpp"
#include "core/app/audit_cli.hpp"
#include "core/app/connectors_cli.hpp"
#include "core/app/gateway.hpp"
#include "core/app/policy_cli.hpp"
#include "core/app/version.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/mcp/versions.hpp"
#include "core/plugin_host/plugin_host.hpp"

namespace portcullis::app {

namespace {


const char* kMainHelp =
    "Usage: portcullis <command> [options]\n"
    "\n"
    "Commands:\n"
    "  serve [--config FILE] [--listen HOST:PORT]   run the gateway\n"
    "  config check FILE                            validate a configuration file\n"
    "  plugins list [--config FILE]                 show the plugins a configuration loads\n"
    "  users add|list|set-role|disable|enable       manage who can sign in\n"
    "  tokens create|list|revoke                    API tokens for clients without OAuth\n"
    "  clients list|revoke                          the OAuth clients that connected\n"
    "  keys rotate|list                             the token signing keys\n"
    "  policy check|explain                         validate the authorization policy; explain a decision\n"
    "  audit tail [--user NAME] [--follow]          the recorded access decisions\n"
    "  connectors pins|approve NAME                 a connector's pinned tool definitions\n"
    "  accounts list|revoke                         accounts users linked at upstreams\n"
    "  version                                      print the version\n"
    "\n"
    "Run 'portcullis <command> --help' for details.\n";

const char* kServeHelp =
    "Usage: portcullis serve [--config FILE] [--listen HOST:PORT]\n"
    "\n"
    "Serves MCP at http://HOST:PORT<server.mcp_path>.\n"
    "  --config FILE       configuration (default: config/portcullis.yaml when it exists,\n"
    "                      otherwise the default compiled into the binary)\n"
    "  --listen HOST:PORT  overrides server.listen; so does the PORTCULLIS_LISTEN\n"
    "                      environment variable (the option wins). Port 0 picks a free port.\n"
    "Stops cleanly on SIGINT or SIGTERM. Exits 78 when the configuration or a plugin is wrong.\n";

const char* kConfigHelp =
    "Usage: portcullis config check FILE\n"
    "\n"
    "Checks FILE against the configuration schema and every plugin's own schema.\n"
    "Prints each problem as FILE:LINE: PATH: message and exits 78, or exits 0.\n";

const char* kPluginsHelp =
    "Usage: portcullis plugins list [--config FILE]\n"
    "\n"
    "Lists the plugins the configuration declares: name, kind, library, ABI version\n"
    "and state (ok, or the reason it cannot be loaded). Exits 78 when any cannot.\n";

const char* kVersionHelp = "Usage: portcullis version\n\nPrints the version, the plugin ABI and the protocol versions.\n";

int reportStartupError(const common::StartupError& e) {
  std::cerr << "portcullis: " << e.what() << std::endl;
  return common::kExitConfig;
}

// Waits for SIGINT or SIGTERM. The signals are blocked in every thread
// (set before any thread starts) and taken here synchronously.
void waitForTermination(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
}

int serve(const Parsed& p) {
  if (p.help) {
    std::cout << kServeHelp;
    return 0;
  }
  if (!p.positional.empty()) {
    std::cerr << "portcullis serve: unexpected argument " << p.positional.front() << "\n" << kServeHelp;
    return kExitUsage;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    config::Config config = loadConfig(p);
    std::string listen;
    if (const char* env = std::getenv("PORTCULLIS_LISTEN"); env != nullptr && *env != '\0') listen = env;
    if (auto it = p.options.find("listen"); it != p.options.end()) listen = it->second;
    if (!listen.empty() &&
        !config::parseListen(listen, config.server.listenHost, config.server.listenPort)) {
      std::cerr << "portcullis: --listen/PORTCULLIS_LISTEN must be HOST:PORT, not \"" << listen << "\"\n";
      return kExitUsage;
    }
    common::configureLogging(config.logLevel == "info" ? "information" : config.logLevel);
    Gateway gateway(std::move(config));
    gateway.start();
    std::cout << "Portcullis " << kVersion << " serving MCP at " << gateway.mcpUrl() << std::endl;
    if (auto setup = gateway.setupUrl()) {
      std::cout << "No user can sign in yet. Create the first administrator (one-time link, 24 hours):\n  "
                << *setup << "\nor run: portcullis users add NAME --role admin --password-stdin" << std::endl;
    }
    waitForTermination(signals);
    common::logger("app").information("shutting down");
    gateway.stop();
    return 0;
  } catch (const common::StartupError& e) {
    return reportStartupError(e);
  }
}

int plugins(const Parsed& p) {
  if (p.help) {
    std::cout << kPluginsHelp;
    return 0;
  }
  if (p.positional.size() != 1 || p.positional[0] != "list") {
    std::cerr << kPluginsHelp;
    return kExitUsage;
  }
  try {
    config::Config config = loadConfig(p);
    plugin_host::PluginHost host(config.pluginDirs, nullptr);
    std::vector<plugin_host::PluginReport> reports;
    for (const auto& decl : config.plugins) reports.push_back(host.inspect(decl, config));
    size_t nameWidth = 4;
    size_t libraryWidth = 7;
    size_t healthWidth = 6;
    for (const auto& r : reports) {
      nameWidth = std::max(nameWidth, r.name.size());
      libraryWidth = std::max(libraryWidth, r.library.size());
      healthWidth = std::max(healthWidth, r.health.size());
    }
    std::cout << std::left << std::setw(static_cast<int>(nameWidth) + 2) << "NAME" << std::setw(12) << "KIND"
              << std::setw(static_cast<int>(libraryWidth) + 2) << "LIBRARY" << std::setw(5) << "ABI"
              << std::setw(static_cast<int>(healthWidth) + 2) << "HEALTH" << "STATE\n";
    bool failed = false;
    for (const auto& r : reports) {
      std::cout << std::left << std::setw(static_cast<int>(nameWidth) + 2) << r.name << std::setw(12) << r.kind
                << std::setw(static_cast<int>(libraryWidth) + 2) << r.library << std::setw(5)
                << (r.abiVersion.empty() ? "-" : r.abiVersion) << std::setw(static_cast<int>(healthWidth) + 2)
                << (r.health.empty() ? "-" : r.health) << r.state << "\n";
      failed = failed || r.state != "ok";
    }
    if (reports.empty()) std::cout << "(no plugins declared)\n";
    return failed ? common::kExitConfig : 0;
  } catch (const common::StartupError& e) {
    return reportStartupError(e);
  }
}

int version(const Parsed& p) {
  if (p.help) {
    std::cout << kVersionHelp;
    return 0;
  }
  std::cout << "portcullis " << kVersion << "\nplugin ABI " << plugin_host::PluginHost::abiVersion()
            << "\nprotocols";
  for (const auto& v : mcp::modernVersions()) std::cout << " " << v;
  for (const auto& v : mcp::legacyVersions()) std::cout << " " << v;
  std::cout << std::endl;
  return 0;
}

int check(const std::string& file) {
  try {
    config::Config config = config::loadConfigFile(file);
    compilePolicy(config.policy);
    plugin_host::PluginHost host(config.pluginDirs, nullptr);
    std::vector<common::ConfigIssue> issues;
    for (const auto& decl : config.plugins) {
      auto report = host.inspect(decl, config);
      issues.insert(issues.end(), report.issues.begin(), report.issues.end());
    }
    if (!issues.empty()) throw common::ConfigError(file, issues);
    std::cout << file << ": OK (" << config.plugins.size() << " plugin"
              << (config.plugins.size() == 1 ? "" : "s") << ")\n";
    return 0;
  } catch (const common::ConfigError& e) {
    std::cerr << e.what() << std::endl;
    return common::kExitConfig;
  } catch (const common::StartupError& e) {
    return reportStartupError(e);
  }
}

}  // namespace

int runCli(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
    std::cout << kMainHelp;
    return args.size() < 2 ? kExitUsage : 0;
  }
  const std::string& command = args[1];
  if (command == "serve") {
    Parsed p = parse(args, 2, {"config", "listen"});
    if (!p.error.empty()) {
      std::cerr << "portcullis serve: " << p.error << "\n" << kServeHelp;
      return kExitUsage;
    }
    return serve(p);
  }
  if (command == "config") {
    Parsed p = parse(args, 2, {});
    if (!p.error.empty()) {
      std::cerr << "portcullis config: " << p.error << "\n" << kConfigHelp;
      return kExitUsage;
    }
    if (p.help) {
      std::cout << kConfigHelp;
      return 0;
    }
    if (p.positional.size() == 2 && p.positional[0] == "check") return check(p.positional[1]);
    std::cerr << kConfigHelp;
    return kExitUsage;
  }
  if (command == "plugins") {
    Parsed p = parse(args, 2, {"config"});
    if (!p.error.empty()) {
      std::cerr << "portcullis plugins: " << p.error << "\n" << kPluginsHelp;
      return kExitUsage;
    }
    return plugins(p);
  }
  if (isAdminCommand(command)) return runAdminCommand(args);
  if (command == "policy") return runPolicyCommand(args);
  if (command == "audit") return runAuditCommand(args);
  if (command == "connectors") return runConnectorsCommand(args);
  if (command == "version" || command == "--version") {
    Parsed p = parse(args, 2, {});
    return version(p);
  }
  std::cerr << "portcullis: unknown command \"" << command << "\"\n" << kMainHelp;
  return kExitUsage;
}

}  // namespace portcullis::app
