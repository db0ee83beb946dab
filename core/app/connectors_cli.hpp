#pragma once
// `portcullis connectors pins|approve`: the definitions a connector pinned
// (see sdk/include/portcullis/sdk/pins.hpp) and the approval of changed ones.
// The pins live in the connector's key-value store in the configuration's
// database; an approval reaches running servers through the change log.

#include <string>
#include <vector>

namespace portcullis::app {

// args as on the command line; args[1] is "connectors".
int runConnectorsCommand(const std::vector<std::string>& args);

}  // namespace portcullis::app
