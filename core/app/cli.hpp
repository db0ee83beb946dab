#pragma once
// The portcullis command line: serve, config check, plugins list, version,
// and the administration commands of admin_cli.hpp.

#include <string>
#include <vector>

namespace portcullis::app {

// Runs one command line; returns the process exit code.
int runCli(const std::vector<std::string>& args);

}  // namespace portcullis::app
