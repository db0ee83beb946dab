#pragma once
// Logging goes through Poco::Logger under the "portcullis" hierarchy, one
// logger a module ("portcullis.transport", ...). app configures the channel.

#include <string>

#include <Poco/Logger.h>

namespace portcullis::common {

Poco::Logger& logger(const std::string& module);

// Sends every "portcullis.*" logger to stderr at the given level
// ("debug", "info", "notice", "warning", "error").
void configureLogging(const std::string& level);

}  // namespace portcullis::common
