#pragma once
// `portcullis audit tail`: the access decisions the server recorded in the
// audit log of a configuration's database (see docs/audit.md).

#include <string>
#include <vector>

namespace portcullis::app {

// args as on the command line; args[1] is "audit".
int runAuditCommand(const std::vector<std::string>& args);

}  // namespace portcullis::app
