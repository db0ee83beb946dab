#pragma once
// The authorization server's HTTP face: discovery documents, the OAuth
// endpoints, the sign-in and consent pages and /setup. Requests are handed
// to oauth::AuthorizationServer as plain values; this class adds what is
// HTTP-specific: the Host check, the public URL, and CORS for the endpoints
// browser-based clients call from another origin (those take no cookies,
// so any origin may read them; the HTML pages get no CORS at all).

#include "core/accounts/account_pages.hpp"
#include "core/oauth/authorization_server.hpp"
#include "core/transport/guards.hpp"
#include "core/transport/http_server.hpp"
#include "core/transport/public_url.hpp"

namespace portcullis::transport {

class OAuthEndpoint : public Handler {
 public:
  // accounts: the linked-account pages under /accounts; may be null.
  OAuthEndpoint(oauth::AuthorizationServer& server, const Guards& guards, const PublicUrl& publicUrl,
                accounts::AccountPages* accounts = nullptr)
      : server_(server), guards_(guards), publicUrl_(publicUrl), accounts_(accounts) {}

  void handle(Exchange& exchange) override;

  // Whether a path is served to other origins (metadata, token, registration...).
  static bool crossOrigin(const std::string& path);

 private:
  oauth::AuthorizationServer& server_;
  const Guards& guards_;
  const PublicUrl& publicUrl_;
  accounts::AccountPages* accounts_;
};

}  // namespace portcullis::transport
