#pragma once
// A Portcullis gateway running inside the test process on 127.0.0.1 and a
// free port, built from YAML text. Plugins come from the build tree.

#include <memory>
#include <string>

#include "core/app/gateway.hpp"

namespace portcullis::testing {

// What an auth-enabled test configuration adds to the defaults.
struct AuthOptions {
  std::string server;          // YAML lines for the server: section (each "key: value", unindented)
  std::string auth;            // YAML lines for the auth: section, besides identity
  std::string identityConfig;  // the built-in identity plugin's config (flow YAML); default: cheap Argon2
  std::string extra;           // YAML appended at the top level (policy:, audit:, ...)
};

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

  // Sign-in required: the built-in identity plugin, the demo and
  // conformance plugins, and the database and secret key in `dataDir`.
  static std::string authConfig(const std::string& dataDir, const AuthOptions& options = {});
  // A gateway on authConfig() with a fresh data directory of its own,
  // removed when the gateway goes.
  static std::unique_ptr<TestGateway> withAuth(const AuthOptions& options = {});
  // The data directory of withAuth() (empty otherwise); the database is
  // dataDir() + "/portcullis.db", the secret key dataDir() + "/secret.key".
  const std::string& dataDir() const { return dataDir_; }

 private:
  std::unique_ptr<app::Gateway> gateway_;
  std::string dataDir_;
};

}  // namespace portcullis::testing
