#include "core/accounts/account_pages.hpp"

#include <ctime>

#include "core/common/log.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/pages.hpp"

namespace portcullis::accounts {

using oauth::HttpRequest;
using oauth::HttpResponse;
namespace pages = oauth::pages;

namespace {

constexpr const char* kPrefix = "/accounts";
constexpr const char* kCallback = "/accounts/callback";
// Binds a link flow to the browser that started it. Not the sign-in
// session's cookie: an upstream on the same host (another port) may replace
// that one while the user signs in there.
constexpr const char* kLinkCookie = "portcullis_link";
constexpr const char* kSecureLinkCookie = "__Host-portcullis_link";

std::string linkCookieName(const HttpRequest& r) { return r.secure ? kSecureLinkCookie : kLinkCookie; }

std::string linkCookie(const HttpRequest& r, const std::string& value, bool clear) {
  return linkCookieName(r) + "=" + value + "; Path=/; HttpOnly; SameSite=Lax" + (r.secure ? "; Secure" : "") +
         (clear ? "; Max-Age=0" : "; Max-Age=600");
}

using oauth::page;

HttpResponse seeOther(const std::string& location) { return oauth::redirect(303, location); }

std::string utcDate(int64_t millis) {
  const auto seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

// Account names are connector names: letters, digits, '_' and '-'.
bool plausibleName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

bool AccountPages::owns(const std::string& path) {
  return path == kPrefix || common::startsWith(path, std::string(kPrefix) + "/");
}

std::optional<HttpResponse> AccountPages::handle(const HttpRequest& r) {
  if (!owns(r.path)) return std::nullopt;
  const std::string& m = r.method;
  if (m != "GET" && m != "POST") {
    HttpResponse out = page(405, pages::message("Not allowed", "Use GET or POST."));
    out.set("Allow", "GET, POST");
    return out;
  }
  try {
    // The flow's own cookie proves the browser; the sign-in session may be gone.
    if (r.path == kCallback) return callback(r);
    const auto session = server_.signedInSession(r);
    if (!session) {
      // GET only: a POST without a session has nothing to return to.
      if (m == "POST") return page(400, pages::message("Sign-in expired", "Sign in and try again."));
      return server_.signInPage(r, r.path, "Sign in to manage your linked accounts.");
    }
    if (r.path == kPrefix) return m == "GET" ? list(r, *session, "") : page(405, pages::message("Not allowed", "Use GET."));
    if (r.path == std::string(kPrefix) + "/unlink") {
      return m == "POST" ? unlink(r, *session) : seeOther(kPrefix);
    }
    const std::string linkPrefix = std::string(kPrefix) + "/link/";
    if (common::startsWith(r.path, linkPrefix)) return link(r, *session, r.path.substr(linkPrefix.size()));
  } catch (const storage::DatabaseError& e) {
    common::logger("accounts").error("%s %s: %s", m, r.path, std::string(e.what()));
    return page(503, pages::message("Try again later", "The server could not reach its database."));
  }
  return page(404, pages::message("Not found", "There is no such page."));
}

std::string AccountPages::usernameOf(const oauth::BrowserSession& session) {
  const auto user = server_.users().byId(session.userId);
  return user ? user->username : session.userId;
}

HttpResponse AccountPages::list(const HttpRequest& r, const oauth::BrowserSession& session,
                                const std::string& notice) {
  pages::AccountsView view;
  view.username = usernameOf(session);
  view.csrf = session.csrf;
  view.notice = notice;
  const auto linked = links_.linkedBy(session.userId);
  for (const auto& d : links_.definitions()) {
    pages::AccountView a{d.name, d.title, false, ""};
    for (const auto& l : linked) {
      if (l.account == d.name) {
        a.linked = true;
        a.linkedSince = utcDate(l.createdAt);
      }
    }
    view.accounts.push_back(std::move(a));
  }
  return page(200, pages::accounts(view));
}

HttpResponse AccountPages::link(const HttpRequest& r, const oauth::BrowserSession& session,
                                const std::string& account) {
  const auto definition = plausibleName(account) ? links_.definition(account) : std::nullopt;
  if (!definition) return page(404, pages::message("Not found", "No connector of this server links such an account."));
  bool linked = false;
  for (const auto& l : links_.linkedBy(session.userId)) linked |= l.account == account;
  const pages::AccountView view{definition->name, definition->title, linked, ""};
  if (r.method == "GET") {
    return page(200, pages::linkAccount(view, usernameOf(session), session.csrf));
  }
  oauth::Pairs form;
  if (!oauth::parseForm(r.body, form)) return page(400, pages::message("Bad request", "The form could not be read."));
  if (!server_.csrfValid(r, session, form)) {
    return page(400, pages::message("Sign-in expired", "Reload the page and try again."));
  }
  try {
    const std::string browserKey = common::randomToken(24);
    HttpResponse out = seeOther(links_.beginLink(session.userId, account, r.baseUrl + kCallback, browserKey));
    out.set("Set-Cookie", linkCookie(r, browserKey, false));
    return out;
  } catch (const std::exception& e) {
    common::logger("accounts").warning("cannot start linking %s: %s", account, std::string(e.what()));
    return page(502, pages::message("Cannot reach " + definition->title,
                                    "Linking could not start: " + std::string(e.what())));
  }
}

HttpResponse AccountPages::callback(const HttpRequest& r) {
  if (r.method != "GET") return page(405, pages::message("Not allowed", "Use GET."));
  bool duplicate = false;
  const auto error = oauth::single(r.query, "error", duplicate);
  const std::string state = oauth::single(r.query, "state", duplicate).value_or("");
  const std::string code = oauth::single(r.query, "code", duplicate).value_or("");
  const std::string description = oauth::single(r.query, "error_description", duplicate).value_or("");
  if (duplicate) return page(400, pages::message("Bad request", "The answer repeats a parameter."));
  const std::string browserKey = r.cookie(linkCookieName(r)).value_or("");
  HttpResponse out;
  try {
    // An error still uses up the state (an empty code fails after that).
    const auto done = links_.completeLink(state, error ? "" : code, browserKey);
    const auto definition = links_.definition(done.account);
    const std::string notice =
        "Your " + (definition ? definition->title : done.account) + " account is linked. You can go back to your application.";
    const auto session = server_.signedInSession(r);
    out = session && session->userId == done.userId ? list(r, *session, notice)
                                                   : page(200, pages::message("Account linked", notice));
  } catch (const std::exception& e) {
    std::string text = e.what();
    if (error) text = "The service answered " + *error + (description.empty() ? "" : ": " + description) + ".";
    common::logger("accounts").warning("linking failed: %s", text);
    out = page(400, pages::message("Not linked", text));
  }
  out.set("Set-Cookie", linkCookie(r, "", true));
  return out;
}

HttpResponse AccountPages::unlink(const HttpRequest& r, const oauth::BrowserSession& session) {
  oauth::Pairs form;
  if (!oauth::parseForm(r.body, form)) return page(400, pages::message("Bad request", "The form could not be read."));
  if (!server_.csrfValid(r, session, form)) {
    return page(400, pages::message("Sign-in expired", "Reload the page and try again."));
  }
  bool duplicate = false;
  const std::string account = oauth::single(form, "account", duplicate).value_or("");
  if (duplicate || !plausibleName(account)) return page(400, pages::message("Bad request", "Which account?"));
  links_.unlink(session.userId, account);
  return seeOther(kPrefix);
}

}  // namespace portcullis::accounts
