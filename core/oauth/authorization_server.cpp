#include "core/oauth/authorization_server.hpp"

#include <algorithm>

#include "core/common/crypto.hpp"
#include "core/common/log.hpp"
#include "core/common/random.hpp"
#include "core/common/text.hpp"
#include "core/oauth/jwt.hpp"
#include "core/oauth/pages.hpp"
#include "core/oauth/scopes.hpp"

namespace portcullis::oauth {

using storage::Value;

namespace {

constexpr const char* kSessionCookie = "pc_session";
constexpr const char* kSecureSessionCookie = "__Host-pc_session";

json::ArrayPtr array(const std::vector<std::string>& items) {
  json::ArrayPtr a = json::makeArray();
  for (const auto& i : items) a->add(i);
  return a;
}

std::vector<std::string> mcpScopeNames() {
  std::vector<std::string> out;
  for (const auto& s : mcpScopes()) out.push_back(s.name);
  return out;
}

std::string hostOf(const std::string& uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri.substr(0, uri.find(':')) + ":";
  const std::string rest = uri.substr(scheme + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

bool isLoopbackRedirect(const std::string& uri) {
  for (const char* prefix : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    const std::string p(prefix);
    if (common::startsWith(common::toLower(uri), p) &&
        (uri.size() == p.size() || std::string(":/?").find(uri[p.size()]) != std::string::npos)) {
      return true;
    }
  }
  return false;
}

bool validChallenge(const std::string& c) {
  return c.size() == 43 && std::all_of(c.begin(), c.end(), [](unsigned char ch) {
           return std::isalnum(ch) != 0 || ch == '-' || ch == '_';
         });
}

std::string withParams(const std::string& uri, const Pairs& params) {
  std::string out = uri;
  char separator = uri.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : params) {
    out += separator + formEncode(name) + "=" + formEncode(value);
    separator = '&';
  }
  return out;
}

bool wantsJson(const HttpRequest& r) {
  const std::string accept = r.header("Accept").value_or("");
  return accept.find("application/json") != std::string::npos && accept.find("text/html") == std::string::npos;
}

}  // namespace

HttpResponse redirect(int status, const std::string& location) {
  HttpResponse r;
  r.status = status;
  r.set("Location", location);
  r.set("Cache-Control", "no-store");
  r.set("Referrer-Policy", "no-referrer");
  return r;
}

HttpResponse page(int status, const std::string& html) {
  HttpResponse r;
  r.status = status;
  r.contentType = "text/html; charset=utf-8";
  r.body = html;
  htmlHeaders(r);
  return r;
}

void htmlHeaders(HttpResponse& response) {
  response.set("Content-Security-Policy",
               "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Cache-Control", "no-store");
}

HttpResponse jsonResponse(int status, const json::ObjectPtr& body) {
  HttpResponse r;
  r.status = status;
  r.contentType = "application/json";
  r.body = body ? json::stringify(body) : "";
  r.set("Cache-Control", "no-store");
  r.set("Pragma", "no-cache");
  return r;
}

HttpResponse oauthError(int status, const std::string& error, const std::string& description) {
  json::ObjectPtr body = json::makeObject();
  body->set("error", error);
  if (!description.empty()) body->set("error_description", description);
  return jsonResponse(status, body);
}

AuthorizationServer::AuthorizationServer(ClientRegistry& clients, GrantStore& grants, KeyRing& keys,
                                         UserDirectory& users, IdentityProvider& identity, BrowserSessions& sessions,
                                         const IssuerPolicy& issuers, storage::Database& db,
                                         AuthorizationServerOptions options, ScopeUnlocks unlocks)
    : clients_(clients),
      grants_(grants),
      keys_(keys),
      users_(users),
      identity_(identity),
      sessions_(sessions),
      issuers_(issuers),
      db_(db),
      options_(std::move(options)),
      unlocks_(std::move(unlocks)) {}

bool AuthorizationServer::owns(const std::string& path) {
  return common::startsWith(path, "/.well-known/oauth-") || common::startsWith(path, "/.well-known/openid-") ||
         common::startsWith(path, "/oauth/") || path == "/setup";
}

std::string AuthorizationServer::resourceMetadataUrl(const std::string& base) const {
  return issuers_.issuerFor(base) + "/.well-known/oauth-protected-resource" + issuers_.mcpPath();
}

std::string AuthorizationServer::challenge(const std::string& base, const std::string& error,
                                           const std::string& description, const std::string& scope) const {
  auto quoted = [](std::string v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](char c) { return c == '"' || c == '\\' || c < 0x20; }), v.end());
    return "\"" + v + "\"";
  };
  std::string out = "Bearer ";
  if (!error.empty()) out += "error=" + quoted(error) + ", ";
  if (!description.empty()) out += "error_description=" + quoted(description) + ", ";
  out += "resource_metadata=" + quoted(resourceMetadataUrl(base));
  out += ", scope=" + quoted(scope.empty() ? joinScopes(mcpScopeNames()) : scope);
  return out;
}

std::optional<HttpResponse> AuthorizationServer::handle(const HttpRequest& r) {
  const std::string& p = r.path;
  const std::string& m = r.method;
  try {
    if (common::startsWith(p, "/.well-known/oauth-protected-resource")) {
      return m == "GET" || m == "HEAD" ? protectedResource(r) : oauthError(405, "invalid_request", "use GET");
    }
    if (p == "/.well-known/oauth-authorization-server" || p == "/.well-known/openid-configuration") {
      return m == "GET" || m == "HEAD" ? serverMetadata(r, p == "/.well-known/openid-configuration")
                                       : oauthError(405, "invalid_request", "use GET");
    }
    if (p == "/oauth/jwks") return jwks(r);
    if (p == "/oauth/authorize") return m == "GET" ? authorize(r) : oauthError(405, "invalid_request", "use GET");
    if (p == "/oauth/login") {
      if (m == "POST") return login(r);
      return m == "GET" ? redirect(303, "/oauth/authorize") : oauthError(405, "invalid_request", "use POST");
    }
    if (p == "/oauth/login/link") return loginLink(r);
    if (p == "/oauth/consent") return m == "POST" ? consent(r) : consentAgain(r);
    if (p == "/oauth/token") return m == "POST" ? token(r) : oauthError(405, "invalid_request", "use POST");
    if (p == "/oauth/register" || common::startsWith(p, "/oauth/register/")) return registration(r);
    if (p == "/oauth/revoke") return m == "POST" ? revoke(r) : oauthError(405, "invalid_request", "use POST");
    if (p == "/oauth/introspect") return m == "POST" ? introspect(r) : oauthError(405, "invalid_request", "use POST");
    if (p == "/setup") return setup(r);
  } catch (const storage::DatabaseError& e) {
    common::logger("oauth").error("%s %s: %s", m, p, std::string(e.what()));
    return oauthError(503, "temporarily_unavailable", "the server could not reach its database");
  }
  if (owns(p)) return oauthError(404, "not_found", "no such endpoint");
  return std::nullopt;
}

HttpResponse AuthorizationServer::protectedResource(const HttpRequest& r) {
  // /.well-known/oauth-protected-resource and .../<mcp path> describe the
  // same resource: the MCP endpoint.
  const std::string suffix = r.path.substr(std::string("/.well-known/oauth-protected-resource").size());
  if (!suffix.empty() && suffix != issuers_.mcpPath()) return oauthError(404, "not_found", "no such resource");
  json::ObjectPtr body = json::makeObject();
  body->set("resource", issuers_.resourceFor(r.baseUrl));
  body->set("authorization_servers", array({issuers_.issuerFor(r.baseUrl)}));
  body->set("scopes_supported", array(mcpScopeNames()));
  body->set("bearer_methods_supported", array({"header"}));
  body->set("resource_name", options_.resourceName);
  HttpResponse out = jsonResponse(200, body);
  out.set("Access-Control-Allow-Origin", "*");
  return out;
}

HttpResponse AuthorizationServer::serverMetadata(const HttpRequest& r, bool openid) {
  const std::string issuer = issuers_.issuerFor(r.baseUrl);
  json::ObjectPtr body = json::makeObject();
  body->set("issuer", issuer);
  body->set("authorization_endpoint", issuer + "/oauth/authorize");
  body->set("token_endpoint", issuer + "/oauth/token");
  if (options_.allowRegistration) body->set("registration_endpoint", issuer + "/oauth/register");
  body->set("revocation_endpoint", issuer + "/oauth/revoke");
  body->set("introspection_endpoint", issuer + "/oauth/introspect");
  body->set("jwks_uri", issuer + "/oauth/jwks");
  body->set("response_types_supported", array({"code"}));
  body->set("response_modes_supported", array({"query"}));
  body->set("grant_types_supported", array({"authorization_code", "refresh_token", "client_credentials"}));
  body->set("code_challenge_methods_supported", array({"S256"}));
  const auto methods = array({"none", "client_secret_basic", "client_secret_post"});
  body->set("token_endpoint_auth_methods_supported", methods);
  body->set("revocation_endpoint_auth_methods_supported", methods);
  body->set("introspection_endpoint_auth_methods_supported", methods);
  body->set("scopes_supported", array(mcpScopeNames()));
  body->set("authorization_response_iss_parameter_supported", true);
  body->set("client_id_metadata_document_supported", options_.metadataDocuments);
  if (openid) {
    body->set("subject_types_supported", array({"public"}));
    body->set("id_token_signing_alg_values_supported", array({keys_.alg()}));
  }
  HttpResponse out = jsonResponse(200, body);
  out.set("Access-Control-Allow-Origin", "*");
  return out;
}

HttpResponse AuthorizationServer::jwks(const HttpRequest& r) {
  if (r.method != "GET" && r.method != "HEAD") return oauthError(405, "invalid_request", "use GET");
  HttpResponse out = jsonResponse(200, keys_.jwks());
  out.headers.clear();
  out.set("Cache-Control", "public, max-age=300");
  out.set("Access-Control-Allow-Origin", "*");
  return out;
}

BrowserSession AuthorizationServer::sessionFor(const HttpRequest& r, HttpResponse& response, bool create) {
  const auto cookie = r.cookie(r.secure ? kSecureSessionCookie : kSessionCookie);
  if (cookie) {
    if (auto existing = sessions_.find(*cookie)) return *existing;
  }
  BrowserSession fresh = create ? sessions_.create() : BrowserSession{};
  if (create) setSessionCookie(r, response, fresh);
  return fresh;
}

void AuthorizationServer::setSessionCookie(const HttpRequest& r, HttpResponse& response,
                                           const BrowserSession& session) const {
  // __Host- cookies must be Secure, so plain-http development servers use a
  // name without the prefix.
  response.set("Set-Cookie", std::string(r.secure ? kSecureSessionCookie : kSessionCookie) + "=" + session.id +
                                 "; Path=/; HttpOnly; SameSite=Lax" + (r.secure ? "; Secure" : ""));
}

bool AuthorizationServer::csrfValid(const HttpRequest& r, const BrowserSession& session, const Pairs& form) const {
  bool duplicate = false;
  const auto token = single(form, "csrf", duplicate);
  if (duplicate || !token || session.csrf.empty() || !common::constantTimeEquals(*token, session.csrf)) return false;
  // A browser that says where the form came from must name this server.
  if (auto origin = r.header("Origin"); origin && *origin != "null") {
    return *origin == r.baseUrl || *origin == issuers_.issuerFor(r.baseUrl);
  }
  return true;
}

HttpResponse AuthorizationServer::redirectError(const HttpRequest& r, const std::string& redirectUri,
                                                const std::string& state, const std::string& error,
                                                const std::string& description, int status) {
  Pairs params{{"error", error}, {"error_description", description}};
  if (!state.empty()) params.emplace_back("state", state);
  params.emplace_back("iss", issuers_.issuerFor(r.baseUrl));
  return redirect(status, withParams(redirectUri, params));
}

HttpResponse AuthorizationServer::authorize(const HttpRequest& r) {
  bool duplicate = false;
  auto param = [&](const std::string& name) { return single(r.query, name, duplicate); };
  const auto clientId = param("client_id");
  const auto redirectParam = param("redirect_uri");
  // Until the client and redirect URI are known good, errors are shown
  // here: redirecting to an unchecked URI would make this an open redirector.
  auto fail = [&](int status, const std::string& error, const std::string& text) {
    if (wantsJson(r)) return oauthError(status, error, text);
    return page(status, pages::message("This sign-in request cannot be used", text));
  };
  if (duplicate) return fail(400, "invalid_request", "A parameter appears more than once.");
  if (!clientId || clientId->empty()) return fail(400, "invalid_request", "The request does not name a client.");
  std::string problem;
  auto client = clients_.find(*clientId, problem);
  if (!client) return fail(401, "invalid_client", "The client is not known to this server: " + problem + ".");
  if (client->revoked) return fail(401, "invalid_client", "This client's access has been revoked.");
  if (!client->allowsGrant("authorization_code")) {
    return fail(400, "unauthorized_client", "This client may not use the authorization code flow.");
  }
  std::string redirectUri;
  if (redirectParam) {
    for (const auto& registered : client->redirectUris) {
      if (ClientRegistry::redirectMatches(registered, *redirectParam)) redirectUri = *redirectParam;
    }
    if (redirectUri.empty()) {
      return fail(400, "invalid_request", "The redirect URI is not one this client registered.");
    }
  } else if (client->redirectUris.size() == 1) {
    redirectUri = client->redirectUris.front();
  } else {
    return fail(400, "invalid_request", "The request does not say where to return.");
  }

  // From here on errors go back to the client.
  const std::string state = param("state").value_or("");
  const auto responseType = param("response_type");
  const auto challenge = param("code_challenge");
  const auto method = param("code_challenge_method");
  const auto resource = param("resource");
  const auto scope = param("scope");
  const std::string prompt = param("prompt").value_or("");
  if (duplicate) return redirectError(r, redirectUri, state, "invalid_request", "a parameter appears twice", 302);
  if (responseType != std::optional<std::string>("code")) {
    return redirectError(r, redirectUri, state, "unsupported_response_type", "only response_type=code", 302);
  }
  if (!challenge || !validChallenge(*challenge)) {
    return redirectError(r, redirectUri, state, "invalid_request", "PKCE is required: send an S256 code_challenge", 302);
  }
  if (method != std::optional<std::string>("S256")) {
    return redirectError(r, redirectUri, state, "invalid_request", "code_challenge_method must be S256", 302);
  }
  const std::string ours = issuers_.resourceFor(r.baseUrl);
  if (resource && *resource != ours && *resource != ours + "/") {
    return redirectError(r, redirectUri, state, "invalid_target", "this server is the resource " + ours, 302);
  }
  AuthorizationRequest flow;
  flow.clientId = client->clientId;
  flow.redirectUri = redirectUri;
  flow.state = state;
  flow.codeChallenge = *challenge;
  flow.resource = ours;
  flow.scopes = normaliseRequest(splitScopes(scope.value_or("")));
  if (!client->scope.empty()) {
    // A client registered (or configured) with a scope gets no more than it.
    const auto allowed = splitScopes(client->scope);
    std::vector<std::string> kept;
    for (const auto& s : flow.scopes) {
      if (isOpenIdScope(s) || hasScope(allowed, s)) kept.push_back(s);
    }
    if (std::none_of(kept.begin(), kept.end(), [](const std::string& s) { return !isOpenIdScope(s); })) {
      return redirectError(r, redirectUri, state, "invalid_scope",
                           "this client may only ask for " + client->scope, 302);
    }
    flow.scopes = kept;
  }
  const auto prompts = splitScopes(prompt);  // a space-separated list, like scopes
  flow.forceConsent = hasScope(prompts, "consent");
  flow.noPrompt = hasScope(prompts, "none");
  if (flow.noPrompt && prompts.size() > 1) {
    return redirectError(r, redirectUri, state, "invalid_request", "prompt=none cannot be combined", 302);
  }

  HttpResponse response;
  BrowserSession session = sessionFor(r, response, true);
  const std::string flowId = sessions_.addFlow(session, flow);
  if (session.userId.empty() || hasScope(prompts, "login")) {
    if (flow.noPrompt) {
      return redirectError(r, redirectUri, state, "login_required", "the user is not signed in", 302);
    }
    HttpResponse out = loginPage(r, session, flowId, "", "", "");
    for (auto& h : response.headers) out.headers.push_back(h);
    return out;
  }
  HttpResponse out = continueFlow(r, session, flowId);
  for (auto& h : response.headers) out.headers.push_back(h);
  return out;
}

HttpResponse AuthorizationServer::loginPage(const HttpRequest& r, BrowserSession& session, const std::string& flowId,
                                            const std::string& error, const std::string& notice,
                                            const std::string& username) {
  pages::LoginView view;
  view.flowId = flowId;
  view.csrf = session.csrf;
  view.error = error;
  view.notice = notice;
  if (auto it = session.flows.find(flowId); it != session.flows.end()) {
    std::string problem;
    if (!it->second.returnTo.empty()) {
      view.purpose = it->second.purpose;
    } else if (auto client = clients_.find(it->second.clientId, problem)) {
      view.clientName = client->name.empty() ? client->clientId : client->name;
    }
  }
  json::ObjectPtr context = json::makeObject();
  if (!username.empty()) context->set("username", username);
  if (!error.empty()) context->set("error", error);
  view.fields = identity_.loginForm(context);
  return page(error.empty() ? 200 : 401, pages::login(view));
}

std::optional<BrowserSession> AuthorizationServer::signedInSession(const HttpRequest& r) {
  HttpResponse ignored;
  BrowserSession session = sessionFor(r, ignored, false);
  if (session.id.empty() || session.userId.empty()) return std::nullopt;
  const auto user = users_.byId(session.userId);
  if (!user || user->disabled) return std::nullopt;
  return session;
}

HttpResponse AuthorizationServer::signInPage(const HttpRequest& r, const std::string& returnTo,
                                             const std::string& purpose) {
  HttpResponse response;
  BrowserSession session = sessionFor(r, response, true);
  AuthorizationRequest flow;
  flow.returnTo = returnTo;
  flow.purpose = purpose;
  flow.createdAt = storage::nowMillis();
  const std::string flowId = sessions_.addFlow(session, std::move(flow));
  HttpResponse out = loginPage(r, session, flowId, "", "", "");
  for (auto& h : response.headers) out.headers.push_back(h);
  return out;
}

HttpResponse AuthorizationServer::login(const HttpRequest& r) {
  Pairs form;
  if (!parseForm(r.body, form)) return page(400, pages::message("Bad request", "The form could not be read."));
  HttpResponse response;
  BrowserSession session = sessionFor(r, response, false);
  if (session.id.empty() || !csrfValid(r, session, form)) {
    return page(400, pages::message("Sign-in expired", "Go back to your application and start again."));
  }
  bool duplicate = false;
  const std::string flowId = single(form, "flow", duplicate).value_or("");
  const std::string action = single(form, "action", duplicate).value_or("password");
  if (session.flows.count(flowId) == 0) {
    return page(400, pages::message("Sign-in expired", "Go back to your application and start again."));
  }
  if (action == "magic") {
    const std::string email = single(form, "email", duplicate).value_or("");
    const auto user = users_.byEmail(email);
    if (user && !user->disabled) {
      json::ObjectPtr command = json::makeObject();
      command->set("command", std::string("send_magic_link"));
      command->set("username", user->username);
      command->set("email", user->email);
      command->set("link", issuers_.issuerFor(r.baseUrl) + "/oauth/login/link?flow=" + formEncode(flowId));
      try {
        identity_.admin(command);
      } catch (const std::exception& e) {
        common::logger("oauth").warning("sign-in link for %s not sent: %s", user->username, std::string(e.what()));
      }
    }
    // The same answer whether or not the address is known.
    HttpResponse out = loginPage(r, session, flowId, "", "If that address belongs to an account, a sign-in link is on its way.", "");
    out.status = 200;
    return out;
  }
  json::ObjectPtr fields = json::makeObject();
  for (const auto& [name, value] : form) {
    if (name != "csrf" && name != "flow" && name != "action") fields->set(name, value);
  }
  fields->set("client_address", r.clientAddress);
  const Authentication result = identity_.authenticate(fields);
  const std::string username = single(form, "username", duplicate).value_or("");
  if (!result.ok) return loginPage(r, session, flowId, result.message, "", username);
  const auto user = users_.byUsername(result.username);
  if (!user || user->disabled) {
    // Same words as a wrong password: nothing about which accounts exist.
    return loginPage(r, session, flowId, "Invalid username or password.", "", username);
  }
  users_.touchLogin(user->id);
  // A new session id at sign-in: one planted before it is worth nothing.
  session.userId = user->id;
  session.signedInAt = storage::nowMillis();
  BrowserSession renewed = sessions_.renew(session);
  HttpResponse out = redirect(303, "/oauth/consent?flow=" + formEncode(flowId));
  setSessionCookie(r, out, renewed);
  common::logger("oauth").information("%s signed in", user->username);
  return out;
}

HttpResponse AuthorizationServer::loginLink(const HttpRequest& r) {
  if (r.method == "GET") {
    bool duplicate = false;
    const std::string flowId = single(r.query, "flow", duplicate).value_or("");
    const std::string token = single(r.query, "token", duplicate).value_or("");
    HttpResponse response;
    BrowserSession session = sessionFor(r, response, true);
    // Redeeming takes a POST, so mail scanners that follow links spend nothing.
    HttpResponse out = page(200, pages::linkConfirm(flowId, token, session.csrf));
    for (auto& h : response.headers) out.headers.push_back(h);
    return out;
  }
  if (r.method != "POST") return oauthError(405, "invalid_request", "use GET or POST");
  Pairs form;
  if (!parseForm(r.body, form)) return page(400, pages::message("Bad request", "The form could not be read."));
  HttpResponse response;
  BrowserSession session = sessionFor(r, response, false);
  if (session.id.empty() || !csrfValid(r, session, form)) {
    return page(400, pages::message("Sign-in expired", "Open the link from your e-mail again."));
  }
  bool duplicate = false;
  const std::string flowId = single(form, "flow", duplicate).value_or("");
  json::ObjectPtr fields = json::makeObject();
  fields->set("magic_token", single(form, "token", duplicate).value_or(""));
  fields->set("client_address", r.clientAddress);
  const Authentication result = identity_.authenticate(fields);
  const auto user = result.ok ? users_.byUsername(result.username) : std::nullopt;
  if (!user || user->disabled) {
    return page(401, pages::message("This link cannot be used", result.ok ? "The account is not active." : result.message));
  }
  users_.touchLogin(user->id);
  session.userId = user->id;
  session.signedInAt = storage::nowMillis();
  BrowserSession renewed = sessions_.renew(session);
  HttpResponse out = session.flows.count(flowId) != 0
                         ? redirect(303, "/oauth/consent?flow=" + formEncode(flowId))
                         : page(200, pages::message("Signed in", "Return to your application and try again."));
  setSessionCookie(r, out, renewed);
  return out;
}

HttpResponse AuthorizationServer::continueFlow(const HttpRequest& r, BrowserSession& session,
                                               const std::string& flowId) {
  auto it = session.flows.find(flowId);
  if (it == session.flows.end()) {
    return page(400, pages::message("Sign-in expired", "Go back to your application and start again."));
  }
  const AuthorizationRequest flow = it->second;
  const auto user = users_.byId(session.userId);
  if (!user || user->disabled) {
    session.userId.clear();
    sessions_.save(session);
    return loginPage(r, session, flowId, "", "", "");
  }
  if (!flow.returnTo.empty()) {
    session.flows.erase(flowId);
    sessions_.save(session);
    return redirect(r.method == "POST" ? 303 : 302, flow.returnTo);
  }
  std::string problem;
  auto client = clients_.find(flow.clientId, problem);
  if (!client || client->revoked) {
    return page(400, pages::message("This sign-in request cannot be used", "The client is no longer known."));
  }
  if (!flow.forceConsent && grants_.consentCovers(user->id, client->clientId, flow.scopes)) {
    session.flows.erase(flowId);
    sessions_.save(session);
    return redirectWithCode(r, flow, *user, r.method == "POST" ? 303 : 302);
  }
  if (flow.noPrompt) {
    session.flows.erase(flowId);
    sessions_.save(session);
    return redirectError(r, flow.redirectUri, flow.state, "consent_required", "the user has not consented", 302);
  }
  return consentPage(r, session, flowId, flow, *client, *user);
}

HttpResponse AuthorizationServer::consentPage(const HttpRequest& r, BrowserSession& session, const std::string& flowId,
                                              const AuthorizationRequest& flow, const Client& client,
                                              const User& user) {
  pages::ConsentView view;
  view.clientName = client.name.empty() ? client.clientId : client.name;
  view.clientId = client.clientId;
  view.redirectHost = hostOf(flow.redirectUri);
  view.username = user.username;
  view.flowId = flowId;
  view.csrf = session.csrf;
  const int64_t hours = options_.consentTtl.count() / 3'600'000;
  view.rememberFor = hours >= 48   ? std::to_string(hours / 24) + " days"
                     : hours >= 2  ? std::to_string(hours) + " hours"
                     : hours == 1  ? "1 hour"
                                   : std::to_string(std::max<int64_t>(1, options_.consentTtl.count() / 60'000)) + " minutes";
  if (isLoopbackRedirect(flow.redirectUri)) {
    view.warnings.push_back(
        "This client returns to a program on this computer (" + view.redirectHost +
        "). Any local program could claim that name: allow it only if you just started it yourself.");
  }
  if (client.kind == "dcr") {
    view.warnings.push_back("This client registered itself; its name is not verified.");
  } else if (client.kind == "cimd") {
    view.warnings.push_back("This client is described by " + hostOf(client.clientId) +
                            "; its name is what that site says.");
  }
  for (const auto& info : mcpScopes()) {
    if (!hasScope(flow.scopes, info.name)) continue;
    pages::ScopeView scope{info.name, info.description, unlocks_ ? unlocks_(info.name, user) : std::vector<std::string>{}};
    view.scopes.push_back(std::move(scope));
  }
  return page(200, pages::consent(view));
}

HttpResponse AuthorizationServer::consentAgain(const HttpRequest& r) {
  HttpResponse response;
  BrowserSession session = sessionFor(r, response, false);
  bool duplicate = false;
  const std::string flowId = single(r.query, "flow", duplicate).value_or("");
  if (session.id.empty() || session.userId.empty() || session.flows.count(flowId) == 0) {
    return page(400, pages::message("Sign-in expired", "Go back to your application and start again."));
  }
  return continueFlow(r, session, flowId);
}

HttpResponse AuthorizationServer::consent(const HttpRequest& r) {
  Pairs form;
  if (!parseForm(r.body, form)) return page(400, pages::message("Bad request", "The form could not be read."));
  HttpResponse response;
  BrowserSession session = sessionFor(r, response, false);
  if (session.id.empty() || session.userId.empty() || !csrfValid(r, session, form)) {
    return page(400, pages::message("Sign-in expired", "Go back to your application and start again."));
  }
  bool duplicate = false;
  const std::string flowId = single(form, "flow", duplicate).value_or("");
  const std::string decision = single(form, "decision", duplicate).value_or("");
  auto it = session.flows.find(flowId);
  if (duplicate || it == session.flows.end()) {
    return page(400, pages::message("Sign-in expired", "Go back to your application and start again."));
  }
  const AuthorizationRequest flow = it->second;
  session.flows.erase(it);
  sessions_.save(session);
  if (decision != "approve") {
    return redirectError(r, flow.redirectUri, flow.state, "access_denied", "the user denied the request", 303);
  }
  const auto user = users_.byId(session.userId);
  if (!user || user->disabled) return page(403, pages::message("Not allowed", "The account is not active."));
  if (single(form, "remember", duplicate) == std::optional<std::string>("on")) {
    grants_.rememberConsent(user->id, flow.clientId, joinScopes(flow.scopes), options_.consentTtl);
  }
  return redirectWithCode(r, flow, *user, 303);
}

// The consent page is also reached by GET after sign-in (a 303 from the
// login POST), which re-shows it or finishes a remembered consent.
HttpResponse AuthorizationServer::redirectWithCode(const HttpRequest& r, const AuthorizationRequest& flow,
                                                   const User& user, int status) {
  const Grant grant = grants_.createGrant(user.id, flow.clientId, joinScopes(flow.scopes), flow.resource);
  const std::string code =
      grants_.issueCode({grant.id, flow.clientId, flow.redirectUri, flow.codeChallenge}, options_.codeTtl);
  Pairs params{{"code", code}};
  if (!flow.state.empty()) params.emplace_back("state", flow.state);
  params.emplace_back("iss", issuers_.issuerFor(r.baseUrl));
  common::logger("oauth").information("%s authorized %s for %s", user.username, flow.clientId, grant.scope);
  return redirect(status, withParams(flow.redirectUri, params));
}

AuthorizationServer::ClientAuth AuthorizationServer::authenticateClient(const HttpRequest& r, const Pairs& form) {
  ClientAuth out;
  bool duplicate = false;
  const auto formId = single(form, "client_id", duplicate);
  const auto formSecret = single(form, "client_secret", duplicate);
  const auto authorization = r.header("Authorization");
  std::string clientId;
  std::string secret;
  std::string method = "none";
  if (duplicate) {
    out.failure = oauthError(400, "invalid_request", "a parameter appears more than once");
    return out;
  }
  if (authorization && common::iequals(authorization->substr(0, std::min<size_t>(6, authorization->size())), "Basic ")) {
    if (formSecret) {
      out.failure = oauthError(400, "invalid_request", "use one client authentication method");
      return out;
    }
    const auto decoded = common::base64Decode(std::string(common::trim(authorization->substr(6))));
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    Pairs parts;
    if (colon == std::string::npos || !parseForm("a=" + decoded->substr(0, colon) + "&b=" + decoded->substr(colon + 1), parts) ||
        parts.size() != 2) {
      out.failure = oauthError(401, "invalid_client", "malformed Basic credentials");
      out.failure.set("WWW-Authenticate", "Basic realm=\"portcullis\"");
      return out;
    }
    clientId = parts[0].second;
    secret = parts[1].second;
    method = "client_secret_basic";
    if (formId && *formId != clientId) {
      out.failure = oauthError(400, "invalid_request", "client_id does not match the credentials");
      return out;
    }
  } else if (formSecret) {
    clientId = formId.value_or("");
    secret = *formSecret;
    method = "client_secret_post";
  } else {
    clientId = formId.value_or("");
  }
  auto invalid = [&](const std::string& description) {
    out.failure = oauthError(401, "invalid_client", description);
    if (method == "client_secret_basic") out.failure.set("WWW-Authenticate", "Basic realm=\"portcullis\"");
    return out;
  };
  if (clientId.empty()) return invalid("client authentication is required");
  std::string problem;
  auto client = clients_.find(clientId, problem);
  if (!client) return invalid("unknown client");
  if (client->revoked) return invalid("the client was revoked");
  if (client->confidential()) {
    if (method == "none") return invalid("this client must authenticate with its secret");
    if (!clients_.verifySecret(*client, secret)) return invalid("wrong client credentials");
  } else if (method != "none") {
    return invalid("this client has no secret");
  }
  out.client = std::move(client);
  return out;
}

json::ObjectPtr AuthorizationServer::issueTokens(const HttpRequest& r, const Grant& grant, bool refresh,
                                                 bool recordUse) {
  const auto key = keys_.current();
  const int64_t now = storage::nowMillis() / 1000;
  const std::string issuer = issuers_.issuerFor(r.baseUrl);
  json::ObjectPtr claims = json::makeObject();
  claims->set("iss", issuer);
  claims->set("sub", grant.userId.empty() ? grant.clientId : grant.userId);
  claims->set("aud", grant.resource.empty() ? issuers_.resourceFor(r.baseUrl) : grant.resource);
  claims->set("client_id", grant.clientId);
  claims->set("scope", grant.scope);
  claims->set("iat", now);
  claims->set("nbf", now);
  claims->set("exp", now + options_.accessTokenTtl.count() / 1000);
  claims->set("jti", common::randomToken(16));
  claims->set("gid", grant.id);
  json::ObjectPtr body = json::makeObject();
  body->set("access_token", signJwt(*key, "at+jwt", claims));
  body->set("token_type", std::string("Bearer"));
  body->set("expires_in", options_.accessTokenTtl.count() / 1000);
  body->set("scope", grant.scope);
  if (refresh) body->set("refresh_token", grants_.issueRefreshToken(grant.id, options_.refreshTokenTtl));
  if (recordUse) {
    grants_.touch(grant.id);
    clients_.touch(grant.clientId);
  }
  return body;
}

HttpResponse AuthorizationServer::token(const HttpRequest& r) {
  const std::string contentType = common::toLower(r.header("Content-Type").value_or(""));
  if (contentType.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return oauthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  Pairs form;
  if (!parseForm(r.body, form)) return oauthError(400, "invalid_request", "the body could not be decoded");
  bool duplicate = false;
  const auto grantType = single(form, "grant_type", duplicate);
  for (const char* p : {"code", "code_verifier", "redirect_uri", "refresh_token", "scope", "resource"}) {
    single(form, p, duplicate);
  }
  if (duplicate) return oauthError(400, "invalid_request", "a parameter appears more than once");
  if (!grantType) return oauthError(400, "invalid_request", "grant_type is required");
  ClientAuth auth = authenticateClient(r, form);
  if (!auth.client) return auth.failure;
  const Client& client = *auth.client;
  const std::string ours = issuers_.resourceFor(r.baseUrl);
  const auto resource = single(form, "resource", duplicate);
  if (resource && *resource != ours && *resource != ours + "/") {
    return oauthError(400, "invalid_target", "this server is the resource " + ours);
  }

  // Tokens are only for users who may still sign in.
  auto userActive = [this](const Grant& grant) {
    if (grant.userId.empty()) return true;
    const auto user = users_.byId(grant.userId);
    return user && !user->disabled;
  };
  if (*grantType == "authorization_code") {
    if (!client.allowsGrant("authorization_code")) return oauthError(400, "unauthorized_client", "grant not allowed");
    const auto code = single(form, "code", duplicate);
    const auto verifier = single(form, "code_verifier", duplicate);
    const auto redirectUri = single(form, "redirect_uri", duplicate);
    if (!code || !redirectUri) return oauthError(400, "invalid_request", "code and redirect_uri are required");
    if (!verifier) return oauthError(400, "invalid_request", "code_verifier is required (PKCE)");
    const CodeRedemption redeemed = grants_.redeemCode(*code, client.clientId, *redirectUri, *verifier);
    if (!redeemed.grant) return oauthError(400, redeemed.failure.error, redeemed.failure.description);
    if (!userActive(*redeemed.grant)) {
      grants_.revokeGrant(redeemed.grant->id);
      return oauthError(400, "invalid_grant", "the user's account is disabled");
    }
    return jsonResponse(200, issueTokens(r, *redeemed.grant, client.allowsGrant("refresh_token")));
  }
  if (*grantType == "refresh_token") {
    if (!client.allowsGrant("refresh_token")) return oauthError(400, "unauthorized_client", "grant not allowed");
    const auto refresh = single(form, "refresh_token", duplicate);
    if (!refresh) return oauthError(400, "invalid_request", "refresh_token is required");
    // Checked before rotating, so that a refused request leaves the
    // client's refresh token usable.
    std::vector<std::string> narrowed;
    if (const auto grantId = grants_.grantOfRefreshToken(*refresh, client.clientId)) {
      if (const auto current = grants_.find(*grantId); current && !current->revoked) {
        if (!userActive(*current)) return oauthError(400, "invalid_grant", "the user's account is disabled");
        if (auto scope = single(form, "scope", duplicate)) {
          // A narrower scope is fine (for this access token); more is not.
          const auto granted = splitScopes(current->scope);
          for (const auto& s : splitScopes(*scope)) {
            if (!hasScope(granted, s) && !isOpenIdScope(s)) {
              return oauthError(400, "invalid_scope", "the scope exceeds what was granted: " + s.substr(0, 64));
            }
            if (hasScope(granted, s)) narrowed.push_back(s);
          }
        }
      }
    }
    // The grant's and the client's last use are written in the rotation's
    // commit: one synchronous commit per refresh instead of three.
    auto rotated = grants_.rotateRefreshToken(*refresh, client.clientId, options_.refreshTokenTtl,
                                              [&](storage::Connection& c) { clients_.touch(c, client.clientId); });
    if (!rotated.grant) return oauthError(400, rotated.failure.error, rotated.failure.description);
    Grant grant = *rotated.grant;
    if (!narrowed.empty()) grant.scope = joinScopes(narrowed);
    json::ObjectPtr body = issueTokens(r, grant, false, false);
    body->set("refresh_token", rotated.refreshToken);
    return jsonResponse(200, body);
  }
  if (*grantType == "client_credentials") {
    if (!client.confidential() || !client.allowsGrant("client_credentials")) {
      return oauthError(400, "unauthorized_client", "this client may not use client_credentials");
    }
    std::vector<std::string> allowed = splitScopes(client.scope);
    if (allowed.empty()) allowed = mcpScopeNames();
    std::vector<std::string> requested = splitScopes(single(form, "scope", duplicate).value_or(""));
    if (requested.empty()) requested = allowed;
    for (const auto& s : requested) {
      if (!hasScope(allowed, s)) return oauthError(400, "invalid_scope", "scope not allowed for this client: " + s);
    }
    const Grant grant = grants_.createGrant("", client.clientId, joinScopes(requested), ours);
    return jsonResponse(200, issueTokens(r, grant, false));
  }
  return oauthError(400, "unsupported_grant_type", "unsupported grant_type " + grantType->substr(0, 64));
}

HttpResponse AuthorizationServer::registration(const HttpRequest& r) {
  const std::string uriBase = issuers_.issuerFor(r.baseUrl) + "/oauth/register";
  if (!options_.allowRegistration) return oauthError(403, "access_denied", "registration is closed on this server");
  if (r.path == "/oauth/register") {
    if (r.method != "POST") return oauthError(405, "invalid_request", "use POST");
    if (r.body.size() > options_.maxRegistrationBytes) {
      return oauthError(400, "invalid_client_metadata", "the registration is larger than the limit");
    }
    const std::string contentType = common::toLower(r.header("Content-Type").value_or(""));
    if (contentType.rfind("application/json", 0) != 0) {
      return oauthError(400, "invalid_client_metadata", "the body must be application/json");
    }
    json::ObjectPtr metadata;
    try {
      metadata = json::parseObject(r.body);
    } catch (const json::ParseError& e) {
      return oauthError(400, "invalid_client_metadata", std::string("the body is not a JSON object: ") + e.what());
    }
    const RegistrationResponse result = clients_.registerClient(metadata, uriBase);
    return jsonResponse(result.status, result.body);
  }
  // RFC 7592 management of one client, with its registration access token.
  const std::string clientId = r.path.substr(std::string("/oauth/register/").size());
  const std::string authorization = r.header("Authorization").value_or("");
  const std::string bearer =
      common::iequals(authorization.substr(0, std::min<size_t>(7, authorization.size())), "Bearer ")
          ? std::string(common::trim(authorization.substr(7)))
          : "";
  RegistrationResponse result;
  if (r.method == "GET") {
    result = clients_.read(clientId, bearer, uriBase);
  } else if (r.method == "PUT") {
    if (r.body.size() > options_.maxRegistrationBytes) {
      return oauthError(400, "invalid_client_metadata", "the registration is larger than the limit");
    }
    json::ObjectPtr metadata;
    try {
      metadata = json::parseObject(r.body);
    } catch (const json::ParseError& e) {
      return oauthError(400, "invalid_client_metadata", std::string("the body is not a JSON object: ") + e.what());
    }
    result = clients_.update(clientId, bearer, metadata, uriBase);
  } else if (r.method == "DELETE") {
    result = clients_.remove(clientId, bearer);
  } else {
    return oauthError(405, "invalid_request", "use GET, PUT or DELETE");
  }
  HttpResponse out = jsonResponse(result.status, result.body);
  if (result.status == 401) out.set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return out;
}

HttpResponse AuthorizationServer::revoke(const HttpRequest& r) {
  if (common::toLower(r.header("Content-Type").value_or("")).rfind("application/x-www-form-urlencoded", 0) != 0) {
    return oauthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  Pairs form;
  if (!parseForm(r.body, form)) return oauthError(400, "invalid_request", "the body could not be decoded");
  ClientAuth auth = authenticateClient(r, form);
  if (!auth.client) return auth.failure;
  bool duplicate = false;
  const auto token = single(form, "token", duplicate);
  if (!token || duplicate) return oauthError(400, "invalid_request", "token is required");
  // RFC 7009: unknown tokens and other clients' tokens are answered 200 too.
  if (auto grant = grants_.grantOfRefreshToken(*token, auth.client->clientId)) {
    grants_.revokeGrant(*grant);
  } else if (auto jwt = decodeJwt(*token)) {
    const auto kid = json::getString(jwt->header, "kid");
    auto key = kid ? keys_.byKid(*kid) : nullptr;
    if (key && key->verify(jwt->signingInput, jwt->signature) &&
        json::getString(jwt->payload, "client_id") == std::optional<std::string>(auth.client->clientId)) {
      if (auto gid = json::getString(jwt->payload, "gid")) grants_.revokeGrant(*gid);
    }
  }
  HttpResponse out;
  out.status = 200;
  out.set("Cache-Control", "no-store");
  return out;
}

HttpResponse AuthorizationServer::introspect(const HttpRequest& r) {
  if (common::toLower(r.header("Content-Type").value_or("")).rfind("application/x-www-form-urlencoded", 0) != 0) {
    return oauthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
  }
  Pairs form;
  if (!parseForm(r.body, form)) return oauthError(400, "invalid_request", "the body could not be decoded");
  ClientAuth auth = authenticateClient(r, form);
  if (!auth.client) return auth.failure;
  bool duplicate = false;
  const auto token = single(form, "token", duplicate);
  if (!token || duplicate) return oauthError(400, "invalid_request", "token is required");
  json::ObjectPtr inactive = json::makeObject();
  inactive->set("active", false);
  auto jwt = decodeJwt(*token);
  if (!jwt) return jsonResponse(200, inactive);
  const auto kid = json::getString(jwt->header, "kid");
  auto key = kid ? keys_.byKid(*kid) : nullptr;
  const auto& claims = jwt->payload;
  const int64_t now = storage::nowMillis() / 1000;
  if (!key || json::getString(jwt->header, "alg") != std::optional<std::string>(key->alg()) ||
      !key->verify(jwt->signingInput, jwt->signature) ||
      json::getString(claims, "client_id") != std::optional<std::string>(auth.client->clientId) ||
      json::getInt(claims, "exp").value_or(0) <= now) {
    return jsonResponse(200, inactive);
  }
  const auto grant = grants_.find(json::getString(claims, "gid").value_or(""));
  if (!grant || grant->revoked) return jsonResponse(200, inactive);
  json::ObjectPtr body = json::makeObject();
  body->set("active", true);
  for (const char* claim : {"scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti"}) {
    if (claims->has(claim)) body->set(claim, claims->get(claim));
  }
  if (auto user = users_.byId(json::getString(claims, "sub").value_or(""))) body->set("username", user->username);
  body->set("token_type", std::string("Bearer"));
  return jsonResponse(200, body);
}

std::string AuthorizationServer::createSetupToken(std::chrono::milliseconds ttl) {
  const std::string token = common::randomToken(24);
  db_.execute("INSERT INTO setup_tokens (token_hash, expires_at) VALUES (?, ?)",
              {Value(common::sha256Hex(token)), Value(storage::nowMillis() + ttl.count())});
  return token;
}

HttpResponse AuthorizationServer::setup(const HttpRequest& r) {
  auto tokenValid = [&](const std::string& token) {
    const auto rows = db_.query("SELECT expires_at, used_at FROM setup_tokens WHERE token_hash = ?",
                                {Value(common::sha256Hex(token))});
    return !rows.empty() && rows.front().isNull(1) && rows.front().integer(0) > storage::nowMillis() &&
           users_.count() == 0;
  };
  bool duplicate = false;
  if (r.method == "GET") {
    const std::string token = single(r.query, "token", duplicate).value_or("");
    if (token.empty() || !tokenValid(token)) {
      return page(404, pages::message("Nothing to set up", "This link was used already, has expired, or is not valid."));
    }
    HttpResponse response;
    BrowserSession session = sessionFor(r, response, true);
    HttpResponse out = page(200, pages::setup({token, session.csrf, "", "", ""}));
    for (auto& h : response.headers) out.headers.push_back(h);
    return out;
  }
  if (r.method != "POST") return oauthError(405, "invalid_request", "use GET or POST");
  Pairs form;
  if (!parseForm(r.body, form)) return page(400, pages::message("Bad request", "The form could not be read."));
  HttpResponse response;
  BrowserSession session = sessionFor(r, response, false);
  const std::string token = single(form, "token", duplicate).value_or("");
  if (session.id.empty() || !csrfValid(r, session, form) || !tokenValid(token)) {
    return page(400, pages::message("Nothing to set up", "This link was used already, has expired, or is not valid."));
  }
  const std::string username = single(form, "username", duplicate).value_or("");
  const std::string email = single(form, "email", duplicate).value_or("");
  const std::string password = single(form, "password", duplicate).value_or("");
  if (password != single(form, "confirm", duplicate).value_or("")) {
    return page(400, pages::setup({token, session.csrf, "The passwords do not match.", username, email}));
  }
  // Claimed before the account is made, so two submissions of one link
  // cannot both create an administrator; released again if this one fails.
  const std::string tokenHash = common::sha256Hex(token);
  const int64_t now = storage::nowMillis();
  if (db_.execute("UPDATE setup_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                  {Value(now), Value(tokenHash), Value(now)}) != 1 ||
      users_.count() != 0) {
    return page(400, pages::message("Nothing to set up", "This link was used already, has expired, or is not valid."));
  }
  try {
    const User user = users_.create(username, email, "admin", identity_.name());
    json::ObjectPtr command = json::makeObject();
    command->set("command", std::string("set_password"));
    command->set("username", user.username);
    command->set("password", password);
    try {
      identity_.admin(command);
    } catch (const std::exception&) {
      users_.remove(user.id);
      throw;
    }
  } catch (const std::exception& e) {
    db_.execute("UPDATE setup_tokens SET used_at = NULL WHERE token_hash = ?", {Value(tokenHash)});
    return page(400, pages::setup({token, session.csrf, e.what(), username, email}));
  }
  common::logger("oauth").information("first administrator %s created", common::toLower(username));
  return page(200, pages::message("Done", "The administrator " + common::toLower(username) +
                                              " exists. Connect your MCP client to this server and sign in."));
}

}  // namespace portcullis::oauth
