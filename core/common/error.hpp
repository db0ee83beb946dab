#pragma once
// Start-up errors. Everything that stops the server from starting (bad config,
// a plugin that will not load) is thrown as StartupError and caught in app,
// which prints it and exits with kExitConfig.

#include <stdexcept>
#include <string>
#include <vector>

namespace portcullis::common {

// EX_CONFIG from sysexits.h: the configuration is wrong.
inline constexpr int kExitConfig = 78;

class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One problem found in a configuration file, located by YAML path and line.
struct ConfigIssue {
  std::string path;  // e.g. "server.listen" or "plugins[1].config.greeting"
  int line = 0;      // 1-based; 0 when unknown
  std::string message;
};

// A configuration with one or more problems; what() lists them all.
class ConfigError : public StartupError {
 public:
  ConfigError(std::string file, std::vector<ConfigIssue> issues);
  const std::vector<ConfigIssue>& issues() const { return issues_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<ConfigIssue> issues_;
};

}  // namespace portcullis::common
