#pragma once
// The server-rendered pages of sign-in and consent: plain HTML with inline
// styles and no external assets, readable without scripts.

#include <string>
#include <vector>

namespace portcullis::oauth::pages {

std::string escape(const std::string& text);

struct LoginView {
  std::string clientName;
  std::string purpose;  // instead of a client: what signing in is for
  std::string flowId;
  std::string csrf;
  std::string fields;  // from the identity provider
  std::string error;
  std::string notice;
};
std::string login(const LoginView& view);

struct ScopeView {
  std::string name;
  std::string description;
  std::vector<std::string> unlocks;  // tools (or other primitives) it gives access to
};

struct ConsentView {
  std::string clientName;
  std::string clientId;
  std::string redirectHost;
  std::vector<std::string> warnings;
  std::vector<ScopeView> scopes;
  std::string username;
  std::string flowId;
  std::string csrf;
  std::string rememberFor = "30 days";  // how long a remembered consent lasts, in words
};
std::string consent(const ConsentView& view);

std::string message(const std::string& title, const std::string& text);

struct SetupView {
  std::string token;
  std::string csrf;
  std::string error;
  std::string username;
  std::string email;
};
std::string setup(const SetupView& view);

// Linked accounts (/accounts): the user's links, each with a button to
// link or unlink.
struct AccountView {
  std::string name;
  std::string title;
  bool linked = false;
  std::string linkedSince;  // a UTC date, when linked
};
struct AccountsView {
  std::string username;
  std::string csrf;
  std::string notice;
  std::vector<AccountView> accounts;
};
std::string accounts(const AccountsView& view);
// Before the browser goes to the upstream: what is about to happen, and a
// POST to start.
std::string linkAccount(const AccountView& account, const std::string& username, const std::string& csrf);

// The page a sign-in link opens: redeeming it takes a POST.
std::string linkConfirm(const std::string& flowId, const std::string& token, const std::string& csrf);

}  // namespace portcullis::oauth::pages
