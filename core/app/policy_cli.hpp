#pragma once
// `portcullis policy check` validates an authorization policy on its own;
// `portcullis policy explain` says what the server decides when a user asks
// for a tool, resource or prompt, and which rule decided, with the server's
// own evaluation (app::PolicyAccess over the plugins' catalog).

#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace portcullis::app {

// args as on the command line; args[1] is "policy".
int runPolicyCommand(const std::vector<std::string>& args);

}  // namespace portcullis::app
