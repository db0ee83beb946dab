#pragma once
// Sign-in for the whole server: builds the authorization server and the
// resource server from the configuration, keeps them current with the
// change log (revocations, role changes and key rotations from the CLI or
// other servers reach this one within a poll), and sweeps what expired.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config.hpp"
#include "core/oauth/api_token_store.hpp"
#include "core/oauth/authorization_server.hpp"
#include "core/oauth/browser_sessions.hpp"
#include "core/oauth/client_registry.hpp"
#include "core/oauth/grant_store.hpp"
#include "core/oauth/identity.hpp"
#include "core/oauth/key_ring.hpp"
#include "core/oauth/resource_server.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/storage/database.hpp"

namespace portcullis::oauth {

class AuthService {
 public:
  AuthService(const config::Config& config, storage::Database& db, std::shared_ptr<IdentityProvider> identity,
              ScopeUnlocks unlocks);
  ~AuthService();

  void start();
  void stop();

  AuthorizationServer& authorizationServer() { return *authorization_; }
  ResourceServer& resourceServer() { return *resource_; }
  UserDirectory& users() { return users_; }

  // Called with each change after it was applied (user changes matter to
  // the MCP layer: a role change can change what a user sees).
  void onChange(std::function<void(const Change&)> listener);

  // Signs a short-lived identity assertion for another service (typ
  // identity-assertion+jwt) with the current key: adds iss (for a server
  // reached at baseUrl), iat, nbf, exp and jti to `claims`.
  std::string signIdentityAssertion(const std::string& baseUrl, json::ObjectPtr claims, std::chrono::seconds ttl);

  // When nobody can sign in yet: a one-time URL path for /setup.
  std::optional<std::string> setupPath();

 private:
  void poll();
  // Applies what the change log holds that this server has not applied. Any
  // thread may call it; a call made while another thread applies makes that
  // thread read the log once more instead.
  void applyChanges();

  storage::Database& db_;
  std::shared_ptr<IdentityProvider> identity_;
  std::string secret_;
  KeyRing keys_;
  UserDirectory users_;
  ClientRegistry clients_;
  GrantStore grants_;
  ApiTokenStore apiTokens_;
  BrowserSessions sessions_;
  IssuerPolicy issuers_;
  std::unique_ptr<ResourceServer> resource_;
  std::unique_ptr<AuthorizationServer> authorization_;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread poller_;
  int commitListener_ = 0;
  std::mutex applyMutex_;              // guards since_ and applied_
  std::atomic<bool> applyAgain_{false};
  int64_t since_ = 0;
  std::map<std::string, int64_t> applied_;  // kind|ref → change time, within the overlap
  std::vector<std::function<void(const Change&)>> listeners_;
};

}  // namespace portcullis::oauth
