#include "core/app/gateway.hpp"

#include "core/app/access_control.hpp"
#include "core/accounts/account_pages.hpp"
#include "core/app/identity_assertion.hpp"
#include "core/app/version.hpp"
#include "core/audit/audit_log.hpp"
#include "core/common/log.hpp"
#include "core/mcp/builtin_tools.hpp"
#include "core/mcp/catalog.hpp"
#include "core/mcp/change_feed.hpp"
#include "core/mcp/dispatcher.hpp"
#include "core/mcp/session.hpp"
#include "core/mcp/tasks.hpp"
#include "core/oauth/auth_service.hpp"
#include "core/oauth/scopes.hpp"
#include "core/plugin_host/plugin_host.hpp"
#include "core/storage/database.hpp"
#include "core/transport/bearer_gate.hpp"
#include "core/transport/guards.hpp"
#include "core/transport/health_endpoint.hpp"
#include "core/transport/http_server.hpp"
#include "core/transport/legacy_sse_endpoint.hpp"
#include "core/transport/mcp_endpoint.hpp"
#include "core/transport/oauth_endpoint.hpp"
#include "core/transport/public_url.hpp"
#include "core/transport/stream_hub.hpp"
#include "core/transport/tls.hpp"

namespace portcullis::app {

namespace {
bool isLoopbackBind(const std::string& host) { return transport::Guards::isLoopbackName(host); }

constexpr uint32_t kAllLists =
    static_cast<uint32_t>(mcp::ListKind::Tools) | static_cast<uint32_t>(mcp::ListKind::Resources) |
    static_cast<uint32_t>(mcp::ListKind::ResourceTemplates) | static_cast<uint32_t>(mcp::ListKind::Prompts);

}  // namespace

Gateway::Gateway(config::Config config) : config_(std::move(config)) {
  catalog_ = std::make_unique<mcp::Catalog>();
  sessions_ = std::make_unique<mcp::SessionStore>(config_.sessions.max);
  feed_ = std::make_unique<mcp::ChangeFeed>(*catalog_, *sessions_);

  mcp::DispatcherOptions options;
  options.serverName = config_.mcp.serverName;
  options.serverVersion = kVersion;
  options.instructions = config_.mcp.instructions;
  options.listTtl = config_.mcp.listTtl;
  options.pageSize = config_.mcp.pageSize;
  options.validateArguments = config_.mcp.validateArguments;
  options.clientRequestTimeout = config_.sessions.clientRequestTimeout;
  if (config_.tasks.enabled) {
    mcp::TaskOptions taskOptions;
    taskOptions.ttl = config_.tasks.ttl;
    taskOptions.pollInterval = config_.tasks.pollInterval;
    taskOptions.syncWindow = config_.tasks.syncWindow;
    taskOptions.workers = config_.tasks.workers;
    taskOptions.maxTasks = config_.tasks.max;
    tasks_ = std::make_unique<mcp::TaskStore>(taskOptions);
  }
  dispatcher_ = std::make_unique<mcp::Dispatcher>(*catalog_, *sessions_, *feed_, options, tasks_.get());
  access_ = std::make_unique<PolicyAccess>(compilePolicy(config_.policy));
  {
    std::vector<oauth::ScopeInfo> scopes;
    for (const auto& s : access_->policy().scopes()) scopes.push_back({s.name, s.description});
    oauth::setPolicyScopes(std::move(scopes));
  }

  catalog_->addProvider(std::make_shared<mcp::BuiltinTools>(
      *catalog_, [dispatcher = dispatcher_.get()](const mcp::Principal& principal) {
        return dispatcher->visibleCount(principal, mcp::ListKind::Tools);
      }));
  if (config_.auth.enabled) {
    try {
      database_ = std::make_unique<storage::Database>(
          storage::StorageOptions{config_.storage.path, config_.storage.synchronous});
    } catch (const storage::DatabaseError& e) {
      throw common::StartupError(std::string("cannot open the database: ") + e.what());
    }
  }
  if (database_ && config_.audit.enabled) {
    audit::AuditOptions auditOptions;
    auditOptions.retention = config_.audit.retention;
    auditOptions.queueCapacity = config_.audit.queue;
    audit_ = std::make_unique<audit::AuditLog>(*database_, auditOptions);
  }
  dispatcher_->setAccessControl(access_.get(), audit_.get());
  plugins_ = std::make_unique<plugin_host::PluginHost>(config_.pluginDirs, feed_.get(), database_.get());
  plugins_->setAuditSink(audit_.get());
  if (database_) {
    // Connectors declare their linked accounts while they load.
    std::string secret;
    try {
      secret = oauth::loadSecretKey(config_.auth.secretKeyFile);
    } catch (const std::exception& e) {
      throw common::StartupError(std::string("cannot start sign-in: ") + e.what());
    }
    upstreamOAuth_ = std::make_unique<accounts::UpstreamOAuthClient>();
    accountLinks_ = std::make_unique<accounts::AccountLinks>(*database_, std::move(secret), *upstreamOAuth_);
    plugins_->setLinkedAccounts(accountLinks_.get(), [this] { return baseUrl(); });
  }
  plugin_host::LoadedPlugins loaded = plugins_->loadAll(config_);
  providers_ = std::move(loaded.providers);
  for (const auto& provider : providers_) catalog_->addProvider(provider);
  catalog_->view();  // list every plugin once now, so a broken one shows at start-up
  if (config_.auth.enabled) {
    auto identity = loaded.identity(config_.auth.identity);
    if (!identity) throw common::StartupError("the identity plugin \"" + config_.auth.identity + "\" did not load");
    try {
      auth_ = std::make_unique<oauth::AuthService>(config_, *database_, identity, policyUnlocks(*catalog_, *access_));
    } catch (const std::exception& e) {  // the secret key or the signing keys
      throw common::StartupError(std::string("cannot start sign-in: ") + e.what());
    }
  }

  if (auth_) {
    assertions_ = std::make_unique<IdentityAssertions>(*auth_, [this] { return baseUrl(); });
    dispatcher_->setIdentityAsserter(assertions_.get());
    // A user whose role, groups or status changed may see other tools now; a
    // connector whose changed definitions were approved lists them again.
    auth_->onChange([this, feed = feed_.get()](const oauth::Change& change) {
      if (change.kind == oauth::change_kind::kPlugin) {
        for (const auto& provider : providers_) {
          if (provider->name() == change.ref) feed->listChanged(*provider, kAllLists);
        }
      }
      if (change.kind == oauth::change_kind::kUser) {
        feed->principalChanged(change.ref, kAllLists);
      }
    });
  }

  hub_ = std::make_unique<transport::StreamHub>(transport::StreamHubOptions{
      config_.streams.heartbeat, config_.streams.maxQueuedBytes, config_.streams.maxStreams});
  transport::OriginPolicy origins{isLoopbackBind(config_.server.listenHost), config_.server.allowedOrigins,
                                  config_.server.allowedHosts};
  // The public URL's host is always a name this server answers to (behind a
  // proxy that passes the Host header through, the bind may be loopback).
  if (!config_.server.publicUrl.empty() && (origins.loopbackBind || !origins.allowedHosts.empty())) {
    const std::string url = config_.server.publicUrl;
    const size_t start = url.find("://") + 3;
    origins.allowedHosts.push_back(transport::Guards::hostnameOf(url.substr(start, url.find('/', start) - start)));
  }
  guards_ = std::make_unique<transport::Guards>(std::move(origins));
  const bool tls = !config_.server.tlsCert.empty();
  publicUrl_ = std::make_unique<transport::PublicUrl>(config_.server.publicUrl, config_.server.trustedProxies, tls);
  if (auth_) {
    bearerGate_ = std::make_unique<transport::BearerGate>(auth_->resourceServer(), auth_->authorizationServer(),
                                                          *publicUrl_);
    accountPages_ = std::make_unique<accounts::AccountPages>(*accountLinks_, auth_->authorizationServer());
    oauthEndpoint_ = std::make_unique<transport::OAuthEndpoint>(auth_->authorizationServer(), *guards_, *publicUrl_,
                                                                accountPages_.get());
  }
  mcpEndpoint_ = std::make_unique<transport::McpEndpoint>(
      *dispatcher_, *sessions_, *hub_, *guards_,
      transport::McpEndpointOptions{config_.streams.retry, config_.streams.history}, bearerGate_.get());
  legacyEndpoint_ =
      std::make_unique<transport::LegacySseEndpoint>(*dispatcher_, *sessions_, *hub_, *guards_, bearerGate_.get());
  healthEndpoint_ = std::make_unique<transport::HealthEndpoint>([this] { return readiness(); });
  notFound_ = std::make_unique<transport::NotFoundEndpoint>();
  router_ = std::make_unique<transport::Router>();
  router_->add(config_.server.mcpPath, mcpEndpoint_.get());
  if (config_.server.legacySse) {
    router_->add(transport::LegacySseEndpoint::kStreamPath, legacyEndpoint_.get());
    router_->add(transport::LegacySseEndpoint::kMessagePath, legacyEndpoint_.get());
  }
  if (oauthEndpoint_) {
    router_->addPrefix("/.well-known/oauth-", oauthEndpoint_.get());
    router_->add("/.well-known/openid-configuration", oauthEndpoint_.get());
    router_->addPrefix("/oauth/", oauthEndpoint_.get());
    router_->add("/setup", oauthEndpoint_.get());
    router_->add("/accounts", oauthEndpoint_.get());
    router_->addPrefix("/accounts/", oauthEndpoint_.get());
  }
  router_->add("/healthz", healthEndpoint_.get());
  router_->add("/readyz", healthEndpoint_.get());
  router_->setFallback(notFound_.get());

  transport::HttpServerOptions http;
  http.host = config_.server.listenHost;
  http.port = config_.server.listenPort;
  http.threads = config_.server.threads;
  http.maxQueued = config_.server.maxQueued;
  http.keepAliveTimeout = config_.server.keepAliveTimeout;
  http.requestTimeout = config_.server.requestTimeout;
  http.limits.maxBodyBytes = config_.server.maxBodyBytes;
  if (tls) http.tls = transport::makeServerContext(config_.server.tlsCert, config_.server.tlsKey);
  http_ = std::make_unique<transport::HttpServer>(http, *router_);
}

Gateway::~Gateway() {
  stop();
  // Plugins go before the services they call back into.
  http_.reset();
  mcpEndpoint_.reset();
  legacyEndpoint_.reset();
  oauthEndpoint_.reset();
  bearerGate_.reset();
  dispatcher_->setIdentityAsserter(nullptr);
  assertions_.reset();
  auth_.reset();  // holds the identity plugin
  catalog_.reset();
  // Plugins stop in the reverse of the order they were created in.
  while (!providers_.empty()) providers_.pop_back();
  plugins_.reset();
  audit_.reset();
  database_.reset();
}

void Gateway::start() {
  auto& log = common::logger("app");
  if (auth_) auth_->start();
  if (audit_) {
    audit_->start();
  } else if (config_.audit.enabled) {
    log.information("access decisions are not recorded: the audit log is kept in the database, which exists only "
                    "while sign-in (auth) is configured (see docs/audit.md)");
  }
  hub_->start();
  http_->start();
  sweeper_ = std::thread([this] { sweepSessions(); });
  log.information("listening on %s", mcpUrl());
  if (auth_ && config_.server.publicUrl.empty() && !isLoopbackBind(config_.server.listenHost)) {
    log.warning("server.public_url is not set and the server listens on %s: the issuer and resource URLs are "
                "taken from each request's Host header (see the \"resource\" in "
                "/.well-known/oauth-protected-resource%s); set server.public_url to the URL clients use",
                config_.server.listenHost, config_.server.mcpPath);
  }
}

std::optional<std::string> Gateway::setupUrl() {
  if (!auth_) return std::nullopt;
  auto path = auth_->setupPath();
  if (!path) return std::nullopt;
  return baseUrl() + *path;
}

void Gateway::stop() {
  {
    std::lock_guard lock(sweepMutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  sweepCv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  // Sessions first: that releases handlers waiting for a client's answer,
  // so the HTTP pool can drain.
  if (sessions_) sessions_->closeAll();
  if (tasks_) tasks_->stop();
  if (http_) http_->stop();
  if (audit_) audit_->stop();  // writes what the last requests decided
  if (auth_) auth_->stop();
  if (sessions_) sessions_->closeAll();
  if (hub_) hub_->stop();
}

uint16_t Gateway::port() const { return http_->port(); }

std::string Gateway::baseUrl() const {
  if (!config_.server.publicUrl.empty()) return config_.server.publicUrl;
  std::string host = config_.server.listenHost;
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const bool tls = !config_.server.tlsCert.empty();
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port());
}

std::string Gateway::readiness() const {
  namespace json = common::json;
  json::ObjectPtr body = json::makeObject();
  body->set("status", std::string("ready"));
  body->set("plugins", static_cast<int64_t>(providers_.size()));
  body->set("sessions", static_cast<int64_t>(sessions_->size()));
  body->set("streams", static_cast<int64_t>(hub_->size()));
  json::ObjectPtr health = json::makeObject();
  for (const auto& provider : providers_) {
    if (auto report = provider->health()) health->set(provider->name(), report);
  }
  if (health->size() > 0) body->set("health", health);
  return json::stringify(body);
}

std::string Gateway::mcpUrl() const { return baseUrl() + config_.server.mcpPath; }

void Gateway::sweepSessions() {
  std::unique_lock lock(sweepMutex_);
  const auto interval = std::min<std::chrono::milliseconds>(config_.sessions.idleTimeout / 4,
                                                             std::chrono::milliseconds(30'000));
  while (!stopping_) {
    sweepCv_.wait_for(lock, std::max<std::chrono::milliseconds>(interval, std::chrono::milliseconds(100)));
    if (stopping_) break;
    lock.unlock();
    if (tasks_) tasks_->sweep();
    const size_t closed = sessions_->sweep(config_.sessions.idleTimeout);
    if (closed > 0) common::logger("app").information("closed %z idle sessions", closed);
    lock.lock();
  }
}

}  // namespace portcullis::app
