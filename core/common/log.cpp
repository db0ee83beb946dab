#include "core/common/log.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/StreamChannel.h>
#include <iostream>
#include <Poco/PatternFormatter.h>

namespace portcullis::common {

Poco::Logger& logger(const std::string& module) { return Poco::Logger::get("portcullis." + module); }

void configureLogging(const std::string& level) {
  Poco::AutoPtr<Poco::PatternFormatter> formatter(
      new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
  formatter->setProperty("times", "UTC");
  Poco::AutoPtr<Poco::FormattingChannel> channel(
      new Poco::FormattingChannel(formatter, new Poco::StreamChannel(std::clog)));
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::root().setLevel(level);
  Poco::Logger::setLevel("portcullis", Poco::Logger::parseLevel(level));
  Poco::Logger::get("portcullis").setChannel(channel);
}

}  // namespace portcullis::common
