#include "core/oauth/pages.hpp"

namespace portcullis::oauth::pages {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* kStyle = R"CSS(
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
main{max-width:30rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 1rem}
p{margin:.5rem 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=email],input[type=password],input:not([type]){width:100%;padding:.6rem .7rem;border:1px solid #c5cad3;border-radius:8px;font:inherit}
button{margin-top:1rem;padding:.6rem 1.1rem;border:0;border-radius:8px;font:inherit;font-weight:600;cursor:pointer;background:#2755d8;color:#fff}
button.secondary{background:#e6e9ef;color:#1d2330}
.row{display:flex;gap:.75rem;flex-wrap:wrap}
.error{background:#fdecec;border:1px solid #f3b6b6;padding:.6rem .8rem;border-radius:8px}
.notice{background:#eaf3ea;border:1px solid #b9dcb9;padding:.6rem .8rem;border-radius:8px}
.warning{background:#fff6e0;border:1px solid #f0d48a;padding:.6rem .8rem;border-radius:8px;margin:.5rem 0}
.scope{border-top:1px solid #eceef2;padding:.6rem 0}
.scope small{color:#5b6475}
code{background:#f0f2f5;padding:0 .25rem;border-radius:4px;font-size:.9em;overflow-wrap:anywhere}
details.alt{margin-top:1.25rem}
footer{color:#8a93a3;font-size:.8rem;margin-top:1.5rem}
)CSS";

std::string layout(const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         escape(title) + " · Portcullis</title><style>" + kStyle + "</style></head><body><main>\n" + body +
         "\n<footer>Portcullis</footer></main></body></html>\n";
}

std::string hidden(const std::string& name, const std::string& value) {
  return "<input type=\"hidden\" name=\"" + escape(name) + "\" value=\"" + escape(value) + "\">\n";
}

}  // namespace

std::string login(const LoginView& view) {
  std::string body = "<h1>Sign in</h1>\n";
  if (!view.clientName.empty()) {
    body += "<p><strong>" + escape(view.clientName) + "</strong> wants to use this server on your behalf.</p>\n";
  } else if (!view.purpose.empty()) {
    body += "<p>" + escape(view.purpose) + "</p>\n";
  }
  if (!view.error.empty()) body += "<p class=\"error\" role=\"alert\">" + escape(view.error) + "</p>\n";
  if (!view.notice.empty()) body += "<p class=\"notice\" role=\"status\">" + escape(view.notice) + "</p>\n";
  body += "<form method=\"post\" action=\"/oauth/login\">\n" + hidden("csrf", view.csrf) + hidden("flow", view.flowId) +
          view.fields + "<button type=\"submit\" name=\"action\" value=\"password\">Sign in</button>\n</form>";
  return layout("Sign in", body);
}

std::string consent(const ConsentView& view) {
  std::string body = "<h1>Allow " + escape(view.clientName) + "?</h1>\n";
  body += "<p>Signed in as <strong>" + escape(view.username) + "</strong>. <strong>" + escape(view.clientName) +
          "</strong> will act as you, within what your account may do.</p>\n";
  body += "<p>Client: <code>" + escape(view.clientId) + "</code><br>After you decide, you return to <code>" +
          escape(view.redirectHost) + "</code>.</p>\n";
  for (const auto& w : view.warnings) body += "<p class=\"warning\">" + escape(w) + "</p>\n";
  body += "<div>\n";
  for (const auto& s : view.scopes) {
    body += "<div class=\"scope\"><strong>" + escape(s.description) + "</strong> <small>(<code>" + escape(s.name) +
            "</code>)</small>";
    if (!s.unlocks.empty()) {
      body += "<br><small>";
      for (size_t i = 0; i < s.unlocks.size(); ++i) {
        body += (i > 0 ? ", " : "") + std::string("<code>") + escape(s.unlocks[i]) + "</code>";
      }
      body += "</small>";
    }
    body += "</div>\n";
  }
  body += "</div>\n<form method=\"post\" action=\"/oauth/consent\">\n" + hidden("csrf", view.csrf) +
          hidden("flow", view.flowId) +
          "<label><input type=\"checkbox\" name=\"remember\" value=\"on\"> Remember for " + view.rememberFor +
          "</label>\n<div class=\"row\"><button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>"
          "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button></div>\n</form>";
  return layout("Allow access", body);
}

std::string accounts(const AccountsView& view) {
  std::string body = "<h1>Linked accounts</h1>\n<p>Signed in as <strong>" + escape(view.username) +
                     "</strong>. Tools of these services act as you there once you link your account.</p>\n";
  if (!view.notice.empty()) body += "<p class=\"notice\" role=\"status\">" + escape(view.notice) + "</p>\n";
  if (view.accounts.empty()) body += "<p>No connector of this server uses linked accounts.</p>\n";
  for (const auto& a : view.accounts) {
    body += "<div class=\"scope\"><strong>" + escape(a.title) + "</strong> <small>(<code>" + escape(a.name) +
            "</code>)</small><br>";
    if (a.linked) {
      body += "<small>Linked since " + escape(a.linkedSince) + "</small>\n<form method=\"post\" action=\"/accounts/unlink\">\n" +
              hidden("csrf", view.csrf) + hidden("account", a.name) +
              "<button type=\"submit\" name=\"decision\" value=\"unlink\" class=\"secondary\">Unlink</button>\n</form>";
    } else {
      body += "<small>Not linked</small>\n<form method=\"get\" action=\"/accounts/link/" + escape(a.name) +
              "\">\n<button type=\"submit\">Link</button>\n</form>";
    }
    body += "</div>\n";
  }
  return layout("Linked accounts", body);
}

std::string linkAccount(const AccountView& account, const std::string& username, const std::string& csrf) {
  std::string body = "<h1>Link your " + escape(account.title) + " account</h1>\n";
  body += "<p>Signed in as <strong>" + escape(username) + "</strong>. You will sign in at " + escape(account.title) +
          " and allow Portcullis to act as you there. Its tools then use your own account; you can unlink it at any "
          "time on <a href=\"/accounts\">Linked accounts</a>.</p>\n";
  if (account.linked) body += "<p class=\"notice\">Already linked: linking again replaces the stored tokens.</p>\n";
  body += "<form method=\"post\" action=\"/accounts/link/" + escape(account.name) + "\">\n" + hidden("csrf", csrf) +
          "<div class=\"row\"><button type=\"submit\" name=\"decision\" value=\"link\">Continue to " +
          escape(account.title) + "</button></div>\n</form>";
  return layout("Link an account", body);
}

std::string message(const std::string& title, const std::string& text) {
  return layout(title, "<h1>" + escape(title) + "</h1>\n<p>" + escape(text) + "</p>");
}

std::string setup(const SetupView& view) {
  std::string body = "<h1>Create the first administrator</h1>\n<p>This link works once.</p>\n";
  if (!view.error.empty()) body += "<p class=\"error\" role=\"alert\">" + escape(view.error) + "</p>\n";
  body += "<form method=\"post\" action=\"/setup\">\n" + hidden("csrf", view.csrf) + hidden("token", view.token) +
          "<label for=\"username\">Username</label>\n<input id=\"username\" name=\"username\" required "
          "autocomplete=\"username\" value=\"" +
          escape(view.username) +
          "\">\n<label for=\"email\">E-mail address (optional)</label>\n<input id=\"email\" name=\"email\" "
          "type=\"email\" autocomplete=\"email\" value=\"" +
          escape(view.email) +
          "\">\n<label for=\"password\">Password</label>\n<input id=\"password\" name=\"password\" type=\"password\" "
          "required autocomplete=\"new-password\">\n<label for=\"confirm\">Password again</label>\n<input "
          "id=\"confirm\" name=\"confirm\" type=\"password\" required autocomplete=\"new-password\">\n"
          "<button type=\"submit\">Create administrator</button>\n</form>";
  return layout("Set up", body);
}

std::string linkConfirm(const std::string& flowId, const std::string& token, const std::string& csrf) {
  return layout("Sign in", "<h1>Sign in</h1>\n<p>Continue to sign in with the link from your e-mail.</p>\n"
                           "<form method=\"post\" action=\"/oauth/login/link\">\n" +
                               hidden("csrf", csrf) + hidden("flow", flowId) + hidden("token", token) +
                               "<button type=\"submit\">Continue</button>\n</form>");
}

}  // namespace portcullis::oauth::pages
