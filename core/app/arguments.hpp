#pragma once
// Command-line arguments of the portcullis subcommands.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace portcullis::app {

struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // flags map to ""
  bool help = false;
  std::string error;

  bool has(const std::string& name) const { return options.count(name) != 0; }
  std::optional<std::string> option(const std::string& name) const;
};

// --name VALUE and --name=VALUE for the valued options, --flag for flags,
// --help/-h; everything else is positional. Unknown options are an error.
Parsed parse(const std::vector<std::string>& args, size_t from, const std::vector<std::string>& valued,
             const std::vector<std::string>& flags = {});

// The configuration named by --config; else config/portcullis.yaml when it
// exists; else the default compiled into the binary. Throws like
// config::loadConfigFile.
config::Config loadConfig(const Parsed& p);

inline constexpr const char* kDefaultConfig = "config/portcullis.yaml";
inline constexpr int kExitUsage = 64;  // EX_USAGE

// The configuration text compiled into the binary (config/portcullis.yaml).
const char* embeddedConfig();

}  // namespace portcullis::app
