#include "tests/support/test_gateway.hpp"

#include <filesystem>
#include <random>

#include "core/common/text.hpp"
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
  gateway_.reset();
  if (!dataDir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dataDir_, ec);
  }
}

std::string TestGateway::openConfig(const std::string& extra) {
  return "logging:\n  level: warning\n"
         "plugins:\n"
         "  - {name: demo, kind: primitives, library: demo}\n"
         "  - {name: conformance, kind: primitives, library: conformance}\n" +
         extra;
}

namespace {
std::string indented(const std::string& lines) {
  std::string out;
  for (const auto& line : common::split(lines, '\n')) {
    if (!common::trim(line).empty()) out += "  " + line + "\n";
  }
  return out;
}
}  // namespace

std::string TestGateway::authConfig(const std::string& dataDir, const AuthOptions& options) {
  // Explicit paths, so that PORTCULLIS_DATA_DIR in the environment cannot
  // move them.
  std::string yaml = "data_dir: \"" + dataDir + "\"\n"
                     "logging:\n  level: warning\n"
                     "storage:\n  path: \"" + dataDir + "/portcullis.db\"\n";
  if (!options.server.empty()) yaml += "server:\n" + indented(options.server);
  yaml += "auth:\n  identity: builtin\n  secret_key_file: \"" + dataDir + "/secret.key\"\n" + indented(options.auth);
  yaml += "plugins:\n"
          "  - name: builtin\n"
          "    kind: identity\n"
          "    library: builtin\n"
          "    config: " +
          (options.identityConfig.empty() ? std::string("{argon2: {time_cost: 1, memory_kib: 8192}}")
                                          : options.identityConfig) +
          "\n"
          "  - {name: demo, kind: primitives, library: demo}\n"
          "  - {name: conformance, kind: primitives, library: conformance}\n";
  return yaml + options.extra;
}

std::unique_ptr<TestGateway> TestGateway::withAuth(const AuthOptions& options) {
  std::random_device rd;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("portcullis-gateway-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  try {
    auto gateway = std::make_unique<TestGateway>(authConfig(dir.string(), options));
    gateway->dataDir_ = dir.string();
    return gateway;
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    throw;
  }
}

}  // namespace portcullis::testing
