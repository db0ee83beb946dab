#pragma once
// A Portcullis gateway running inside the test process on 127.0.0.1 and a
// free port, built from YAML text. Plugins come from the build tree.

#include <memory>
#include <string>

#include "core/app/gateway.hpp"

namespace portcullis::testing {

class TestGateway {
 public:
  // `yaml` is a whole configuration; server.listen is replaced by
  // 127.0.0.1:0 and plugin_dirs by the build's plugin directory unless the
  // YAML sets them.
  explicit TestGateway(const std::string& yaml);
  ~TestGateway();

  uint16_t port() const { return gateway_->port(); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port()); }
  app::Gateway& gateway() { return *gateway_; }

  // The open test configuration: the demo and conformance plugins, no auth.
  static std::string openConfig(const std::string& extra = {});

 private:
  std::unique_ptr<app::Gateway> gateway_;
};

}  // namespace portcullis::testing
