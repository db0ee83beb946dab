#include "core/oauth/auth_service.hpp"

#include "core/common/log.hpp"
#include "core/common/random.hpp"
#include "core/oauth/jwt.hpp"

namespace portcullis::oauth {

namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr auto kSweepInterval = std::chrono::minutes(1);
// Changes are read with some overlap, so a clock difference between the
// writer and this server cannot skip one; applying a change twice is harmless.
constexpr int64_t kOverlapMs = 5'000;
}  // namespace

AuthService::AuthService(const config::Config& config, storage::Database& db,
                         std::shared_ptr<IdentityProvider> identity, ScopeUnlocks unlocks)
    : db_(db),
      identity_(std::move(identity)),
      secret_(loadSecretKey(config.auth.secretKeyFile)),
      keys_(db, secret_, config.auth.signingAlg, config.auth.accessTokenTtl),
      users_(db),
      clients_(db, config.auth.clients,
               FetcherOptions{config.auth.cimd.allowHosts, config.auth.cimd.caFile, config.auth.cimd.timeout,
                              config.auth.cimd.maxBytes},
               config.auth.cimd.enabled),
      grants_(db),
      apiTokens_(db),
      sessions_(config.auth.sessionTtl),
      issuers_(config.server.publicUrl, config.server.mcpPath) {
  keys_.load();
  resource_ = std::make_unique<ResourceServer>(keys_, users_, apiTokens_, db_, issuers_, config.auth.accessTokenTtl);
  resource_->load();
  AuthorizationServerOptions options;
  options.accessTokenTtl = config.auth.accessTokenTtl;
  options.refreshTokenTtl = config.auth.refreshTokenTtl;
  options.codeTtl = config.auth.codeTtl;
  options.consentTtl = config.auth.consentTtl;
  options.allowRegistration = config.auth.allowRegistration;
  options.maxRegistrationBytes = config.auth.maxRegistrationBytes;
  options.metadataDocuments = config.auth.cimd.enabled;
  options.resourceName = config.mcp.serverName;
  authorization_ = std::make_unique<AuthorizationServer>(clients_, grants_, keys_, users_, *identity_, sessions_,
                                                         issuers_, db_, options, std::move(unlocks));
  since_ = storage::nowMillis();
  // Revocations made through this server (a reused code or refresh token,
  // /oauth/revoke, a deleted registration) apply before the request that
  // made them is answered.
  commitListener_ = db_.onCommit([this] { applyChanges(); });
}

std::string AuthService::signIdentityAssertion(const std::string& baseUrl, json::ObjectPtr claims,
                                              std::chrono::seconds ttl) {
  const auto key = keys_.current();
  const int64_t now = storage::nowMillis() / 1000;
  claims->set("iss", issuers_.issuerFor(baseUrl));
  claims->set("iat", now);
  claims->set("nbf", now);
  claims->set("exp", now + ttl.count());
  claims->set("jti", common::randomToken(16));
  return signJwt(*key, "identity-assertion+jwt", claims);
}

AuthService::~AuthService() {
  stop();
  db_.removeCommitListener(commitListener_);
}

void AuthService::start() {
  poller_ = std::thread([this] { poll(); });
}

void AuthService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

void AuthService::onChange(std::function<void(const Change&)> listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

std::optional<std::string> AuthService::setupPath() {
  if (users_.count() > 0) return std::nullopt;
  return "/setup?token=" + authorization_->createSetupToken(std::chrono::hours(24));
}

void AuthService::poll() {
  auto& log = common::logger("oauth");
  auto lastSweep = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, kPollInterval);
    if (stopping_) break;
    lock.unlock();
    applyChanges();
    if (std::chrono::steady_clock::now() - lastSweep > kSweepInterval) {
      try {
        grants_.sweep();
        sessions_.sweep();
      } catch (const std::exception& e) {
        log.error("sweeping expired grants failed: %s", std::string(e.what()));
      }
      lastSweep = std::chrono::steady_clock::now();
    }
    lock.lock();
  }
}

void AuthService::applyChanges() {
  std::unique_lock apply(applyMutex_, std::try_to_lock);
  if (!apply.owns_lock()) {
    // Another thread is applying (possibly this one, further up the stack:
    // a key reload can write): it reads the log once more when done.
    applyAgain_ = true;
    return;
  }
  std::vector<std::function<void(const Change&)>> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = listeners_;
  }
  do {
    applyAgain_ = false;
    try {
      const int64_t now = storage::nowMillis();
      for (const auto& change : changesSince(db_, since_ - kOverlapMs)) {
        // The overlap reads some changes again; each is applied once.
        const std::string key = change.kind + "|" + change.ref;
        if (auto seen = applied_.find(key); seen != applied_.end() && seen->second == change.at) continue;
        applied_[key] = change.at;
        if (change.kind == change_kind::kSigningKey) {
          keys_.load();
        } else {
          resource_->apply(change);
        }
        for (auto& l : listeners) l(change);
      }
      since_ = now;
      for (auto it = applied_.begin(); it != applied_.end();) {
        it = it->second < now - 2 * kOverlapMs ? applied_.erase(it) : std::next(it);
      }
    } catch (const std::exception& e) {
      common::logger("oauth").error("reading the change log failed: %s", std::string(e.what()));
    }
  } while (applyAgain_);
}

}  // namespace portcullis::oauth
