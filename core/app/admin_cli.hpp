#pragma once
// The administration commands: users, tokens, clients and keys. They work
// on the database named by the configuration, next to a running server,
// which picks their changes up from the change log within a second.

#include <string>
#include <vector>

namespace portcullis::app {

bool isAdminCommand(const std::string& command);
// args as on the command line; args[1] is the command.
int runAdminCommand(const std::vector<std::string>& args);

}  // namespace portcullis::app
