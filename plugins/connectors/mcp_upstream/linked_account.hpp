#pragma once
// Users' own accounts at the upstream (auth.user_oauth): each user links
// theirs once through the gateway (the host runs the OAuth flow and keeps
// the tokens); each call then carries the caller's token. Requests no
// caller makes (the handshake, listing, the listen stream) carry the token
// of the user whose link was used last, so the catalog is the upstream's
// view for one linked user until someone links, it is empty.

#include <atomic>
#include <string>

#include <portcullis/sdk.hpp>

#include "credentials.hpp"
#include "settings.hpp"

namespace portcullis::mcp_upstream {

// Declares settings.userOAuth to the host and gives the settings the
// credentials for the connector's own requests. Throws
// std::invalid_argument when the host refuses the account.
void linkAccounts(Settings& settings, const sdk::Host& host);

class LinkedAccountCredentials : public ConnectorCredentials {
 public:
  explicit LinkedAccountCredentials(sdk::Host host) : host_(host) {}
  std::string authorization() override;
  void forget() override { refreshNext_ = true; }

 private:
  sdk::Host host_;
  std::atomic<bool> refreshNext_{false};
};

// The caller has not linked the account: how to tell them, for a client
// that opens URLs for the user (elicitation.url) and for one that does not.
struct LinkRequired {
  std::string url;
};
// -32042 URLElicitationRequired: the client (if it declared elicitation.url)
// offers to open the link page for the user, then retries.
sdk::RpcError urlElicitationRequired(const LinkRequired& link, const std::string& message);
bool opensUrls(const sdk::Call& call);

}  // namespace portcullis::mcp_upstream
