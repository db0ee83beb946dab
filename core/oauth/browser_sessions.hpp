#pragma once
// Sign-in sessions of browsers on the authorization pages (not MCP
// sessions): who signed in, the CSRF token of its forms, and the
// authorization requests in progress. Held in memory; the id changes at
// sign-in so a session planted before it is worth nothing after.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::oauth {

// A validated /oauth/authorize request waiting for sign-in or consent.
struct AuthorizationRequest {
  std::string clientId;
  std::string redirectUri;
  std::string state;
  std::string codeChallenge;
  std::string resource;
  std::vector<std::string> scopes;
  bool forceConsent = false;
  bool noPrompt = false;  // prompt=none: answer at once, never show a page
  int64_t createdAt = 0;
  // A sign-in for another page of this server (linked accounts), not for a
  // client: after sign-in the browser goes to this path.
  std::string returnTo;
  std::string purpose;
};

struct BrowserSession {
  std::string id;
  std::string csrf;
  std::string userId;  // empty until signed in
  int64_t createdAt = 0;
  int64_t signedInAt = 0;
  std::map<std::string, AuthorizationRequest> flows;  // by flow id
};

class BrowserSessions {
 public:
  explicit BrowserSessions(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  std::optional<BrowserSession> find(const std::string& id);
  BrowserSession create();
  void save(const BrowserSession& session);
  // The same session under a new id and CSRF token (after sign-in).
  BrowserSession renew(const BrowserSession& session);
  void remove(const std::string& id);
  // Adds a flow, keeping at most a few per session.
  std::string addFlow(BrowserSession& session, AuthorizationRequest request);
  void sweep();

 private:
  const std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::map<std::string, BrowserSession> sessions_;
  std::deque<std::string> anonymous_;  // session ids in creation order, for eviction
};

}  // namespace portcullis::oauth
