#pragma once
// Wiring: builds every module from a Config in dependency order, starts the
// server, and stops it in reverse. Integration tests embed a Gateway directly.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config.hpp"

namespace portcullis::mcp {
class Catalog;
class SessionStore;
class ChangeFeed;
class Dispatcher;
class PrimitiveProvider;
class TaskStore;
}  // namespace portcullis::mcp

namespace portcullis::storage {
class Database;
}

namespace portcullis::audit {
class AuditLog;
}

namespace portcullis::accounts {
class AccountLinks;
class AccountPages;
class UpstreamOAuthClient;
}

namespace portcullis::oauth {
class AuthService;
}

namespace portcullis::transport {
class BearerGate;
class OAuthEndpoint;
class PublicUrl;
class StreamHub;
class Guards;
class McpEndpoint;
class LegacySseEndpoint;
class HealthEndpoint;
class NotFoundEndpoint;
class Router;
class HttpServer;
}  // namespace portcullis::transport

namespace portcullis::plugin_host {
class PluginHost;
}

namespace portcullis::app {

class PolicyAccess;
class IdentityAssertions;

class Gateway {
 public:
  // Loads every plugin; throws common::StartupError / ConfigError.
  explicit Gateway(config::Config config);
  ~Gateway();

  void start();  // binds and serves; throws common::StartupError
  void stop();
  uint16_t port() const;
  std::string baseUrl() const;  // scheme://host:port, or server.public_url
  std::string mcpUrl() const;
  // The URL to create the first administrator, while sign-in is required
  // and nobody can sign in yet.
  std::optional<std::string> setupUrl();
  const config::Config& config() const { return config_; }
  mcp::SessionStore& sessions() { return *sessions_; }
  transport::StreamHub& hub() { return *hub_; }
  audit::AuditLog* audit() { return audit_.get(); }  // null without a database or with audit.enabled false

 private:
  // The /readyz body: counts, and the health each plugin reports (an
  // upstream that is down does not make the gateway unready).
  std::string readiness() const;
  void sweepSessions();

  config::Config config_;
  std::unique_ptr<mcp::Catalog> catalog_;
  std::unique_ptr<mcp::SessionStore> sessions_;
  std::unique_ptr<mcp::ChangeFeed> feed_;
  std::unique_ptr<mcp::TaskStore> tasks_;
  std::unique_ptr<mcp::Dispatcher> dispatcher_;
  std::unique_ptr<PolicyAccess> access_;
  std::unique_ptr<storage::Database> database_;  // only when sign-in is on
  std::unique_ptr<audit::AuditLog> audit_;       // only with a database and audit.enabled
  std::unique_ptr<accounts::UpstreamOAuthClient> upstreamOAuth_;  // only with a database
  std::unique_ptr<accounts::AccountLinks> accountLinks_;
  std::unique_ptr<plugin_host::PluginHost> plugins_;
  std::vector<std::shared_ptr<mcp::PrimitiveProvider>> providers_;
  std::unique_ptr<oauth::AuthService> auth_;
  std::unique_ptr<IdentityAssertions> assertions_;
  std::unique_ptr<transport::StreamHub> hub_;
  std::unique_ptr<transport::Guards> guards_;
  std::unique_ptr<transport::PublicUrl> publicUrl_;
  std::unique_ptr<transport::BearerGate> bearerGate_;
  std::unique_ptr<accounts::AccountPages> accountPages_;
  std::unique_ptr<transport::OAuthEndpoint> oauthEndpoint_;
  std::unique_ptr<transport::McpEndpoint> mcpEndpoint_;
  std::unique_ptr<transport::LegacySseEndpoint> legacyEndpoint_;
  std::unique_ptr<transport::HealthEndpoint> healthEndpoint_;
  std::unique_ptr<transport::NotFoundEndpoint> notFound_;
  std::unique_ptr<transport::Router> router_;
  std::unique_ptr<transport::HttpServer> http_;

  std::mutex sweepMutex_;
  std::condition_variable sweepCv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace portcullis::app
