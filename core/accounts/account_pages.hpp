#pragma once
// The browser pages of linked accounts, beside the sign-in pages and sharing
// their session: /accounts lists the signed-in user's links, /accounts/link/
// <name> starts linking (GET explains, POST goes to the upstream),
// /accounts/callback finishes it, /accounts/unlink removes one. Every page
// but the callback needs a signed-in user and shows the sign-in form first
// when there is none; the callback needs the cookie the flow set in the
// browser that started it. Every POST checks the CSRF token and answers 303.

#include <optional>
#include <string>

#include "core/accounts/account_links.hpp"
#include "core/oauth/authorization_server.hpp"

namespace portcullis::accounts {

class AccountPages {
 public:
  AccountPages(AccountLinks& links, oauth::AuthorizationServer& server) : links_(links), server_(server) {}

  static bool owns(const std::string& path);
  // The response for a path under /accounts, or nullopt for other paths.
  std::optional<oauth::HttpResponse> handle(const oauth::HttpRequest& request);

 private:
  // For the pages: the signed-in user's name.
  std::string usernameOf(const oauth::BrowserSession& session);
  oauth::HttpResponse list(const oauth::HttpRequest& r, const oauth::BrowserSession& session,
                           const std::string& notice);
  oauth::HttpResponse link(const oauth::HttpRequest& r, const oauth::BrowserSession& session,
                           const std::string& account);
  oauth::HttpResponse callback(const oauth::HttpRequest& r);
  oauth::HttpResponse unlink(const oauth::HttpRequest& r, const oauth::BrowserSession& session);

  AccountLinks& links_;
  oauth::AuthorizationServer& server_;
};

}  // namespace portcullis::accounts
