#pragma once
// The portcullis command line: serve, config check, plugins list, version.

#include <string>
#include <vector>

namespace portcullis::app {

// Runs one command line; returns the process exit code.
int runCli(const std::vector<std::string>& args);

// The configuration text compiled into the binary (config/portcullis.yaml).
const char* embeddedConfig();

}  // namespace portcullis::app
