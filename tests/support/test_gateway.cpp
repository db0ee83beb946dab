#include "tests/support/test_gateway.hpp"

#include "core/config/config.hpp"

namespace portcullis::testing {

TestGateway::TestGateway(const std::string& yaml) {
  config::Config config = config::loadConfigText(yaml, "<test>");
  config.server.listenHost = "127.0.0.1";
  config.server.listenPort = 0;
  if (config.pluginDirs.empty()) config.pluginDirs = {PORTCULLIS_TEST_PLUGIN_DIR};
  gateway_ = std::make_unique<app::Gateway>(std::move(config));
  gateway_->start();
}

TestGateway::~TestGateway() {
  if (gateway_) gateway_->stop();
}

std::string TestGateway::openConfig(const std::string& extra) {
  return "logging:\n  level: warning\n"
         "plugins:\n"
         "  - {name: demo, kind: primitives, library: demo}\n"
         "  - {name: conformance, kind: primitives, library: conformance}\n" +
         extra;
}

}  // namespace portcullis::testing
