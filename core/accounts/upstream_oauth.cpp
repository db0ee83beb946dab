#include "core/accounts/upstream_oauth.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Timespan.h>

#include "core/common/json.hpp"
#include "core/common/text.hpp"
#include "core/oauth/http.hpp"
#include "core/oauth/tls_client.hpp"
#include "core/storage/database.hpp"

namespace portcullis::accounts {

namespace json = common::json;

namespace {

// ---- URLs ------------------------------------------------------------------------------------

struct Url {
  bool https = false;
  std::string host;  // without the brackets of an IPv6 literal
  uint16_t port = 0;
  std::string origin;  // scheme://authority
  std::string path;    // "" or from the first '/', without query and fragment
  std::string query;   // "" or from the '?'

  std::string target() const { return (path.empty() ? "/" : path) + query; }
};

std::optional<uint16_t> parsePort(const std::string& digits, uint16_t fallback) {
  if (digits.empty()) return fallback;  // "host:" means the default port (RFC 3986 3.2.3)
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const int port = std::stoi(digits);
  if (port < 1 || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

std::optional<Url> parseUrl(const std::string& text) {
  if (text.empty() || text.size() > 4096) return std::nullopt;
  // Spaces and control bytes would end up in the request line.
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7F) return std::nullopt;
  }
  const size_t separator = text.find("://");
  if (separator == std::string::npos) return std::nullopt;
  const std::string scheme = common::toLower(text.substr(0, separator));
  Url url;
  if (scheme == "https") {
    url.https = true;
  } else if (scheme != "http") {
    return std::nullopt;
  }
  const size_t start = separator + 3;
  const size_t end = text.find_first_of("/?#", start);
  const std::string authority =
      text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  // Userinfo and backslashes are where URL parsers disagree; refuse them.
  if (authority.empty() || authority.find_first_of("@\\") != std::string::npos) return std::nullopt;
  std::string portText;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    url.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
    if (!after.empty()) portText = after.substr(1);
  } else {
    const size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) portText = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::nullopt;
  const auto port = parsePort(portText, url.https ? 443 : 80);
  if (!port) return std::nullopt;
  url.port = *port;
  url.origin = scheme + "://" + authority;
  std::string rest = end == std::string::npos ? "" : text.substr(end);
  rest = rest.substr(0, rest.find('#'));
  const size_t question = rest.find('?');
  url.path = rest.substr(0, question);
  if (question != std::string::npos) url.query = rest.substr(question);
  return url;
}

Url requireUrl(const std::string& text, const std::string& what) {
  auto url = parseUrl(text);
  if (!url)
    throw UpstreamOAuthError(
        "", what + " is not an http or https URL: \"" + text.substr(0, 200) + "\"");
  return *url;
}

std::string withoutTrailingSlashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

// RFC 6749 appendix B, with the authorization server's encoder: a space
// becomes %20 rather than '+', which form decoders read too and servers
// that merely percent-decode Basic credentials read correctly.
using oauth::formEncode;

using Form = std::vector<std::pair<std::string, std::string>>;

std::string encodeForm(const Form& form) {
  std::string out;
  for (const auto& [name, value] : form) {
    if (!out.empty()) out += '&';
    out += formEncode(name) + '=' + formEncode(value);
  }
  return out;
}

// ---- HTTP ------------------------------------------------------------------------------------

struct Outgoing {
  std::string method = Poco::Net::HTTPRequest::HTTP_GET;
  std::string url;
  std::string contentType;  // with a body
  std::string body;
  std::string authorization;
};

struct Reply {
  int status = 0;
  std::string body;
  bool oversized = false;  // the body went past options.maxBytes and was not kept
};

std::unique_ptr<Poco::Net::HTTPClientSession> openSession(const Url& url,
                                                          const UpstreamOAuthOptions& options) {
  if (!url.https) return std::make_unique<Poco::Net::HTTPClientSession>(url.host, url.port);
  return std::make_unique<Poco::Net::HTTPSClientSession>(url.host, url.port,
                                                         oauth::verifyingClientContext(options.caFile));
}

// One request and its answer. Redirects are the caller's to refuse: a
// session never follows them.
Reply exchange(const Outgoing& out, const UpstreamOAuthOptions& options) {
  const Url url = requireUrl(out.url, "the URL");
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  try {
    auto session = openSession(url, options);
    session->setTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(options.timeout).count()));
    Poco::Net::HTTPRequest request(out.method, url.target(), Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(url.host, url.port);
    request.set("Accept", "application/json");
    request.set("User-Agent", "portcullis");
    if (!out.authorization.empty()) request.set("Authorization", out.authorization);
    if (out.method != Poco::Net::HTTPRequest::HTTP_GET) {
      request.setContentType(out.contentType);
      request.setContentLength(static_cast<std::streamsize>(out.body.size()));
    }
    session->sendRequest(request) << out.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    Reply reply;
    reply.status = static_cast<int>(response.getStatus());
    if (response.hasContentLength() &&
        response.getContentLength64() > static_cast<int64_t>(options.maxBytes)) {
      reply.oversized = true;
      return reply;
    }
    // The timeout bounds each read and the whole answer: a server that
    // sends a byte now and then must not hold the caller for hours.
    char c = 0;
    while (in.get(c)) {
      if (reply.body.size() == options.maxBytes) {
        reply.oversized = true;
        reply.body.clear();
        return reply;
      }
      reply.body += c;
      if (std::chrono::steady_clock::now() > deadline) {
        throw UpstreamOAuthError("", out.url + ": the answer took longer than the time limit");
      }
    }
    return reply;
  } catch (const Poco::Exception& e) {
    throw UpstreamOAuthError("", "could not reach " + out.url + ": " + e.displayText());
  } catch (const std::ios_base::failure& e) {
    throw UpstreamOAuthError("", "could not reach " + out.url + ": " + e.what());
  }
}

// ---- answers ---------------------------------------------------------------------------------

bool isRedirect(int status) { return status >= 300 && status < 400; }

std::string statusProblem(const std::string& url, int status) {
  if (isRedirect(status)) {
    return url + " answered with a redirect (" + std::to_string(status) +
           "), which is not followed";
  }
  return url + " answered HTTP " + std::to_string(status);
}

// A JSON object answer and the URL it came from, so that every complaint
// names where the document was found.
class Document {
 public:
  Document(const Reply& reply, std::string url) : url_(std::move(url)) {
    if (reply.oversized) throw problem("the answer is larger than the size limit");
    try {
      object_ = json::parseObject(reply.body);
    } catch (const json::ParseError& e) {
      throw problem(std::string("the answer is not a JSON object (") + e.what() + ")");
    }
  }

  const std::string& url() const { return url_; }

  // Absent and null members are the same: some servers write out every
  // optional member.
  bool has(const std::string& key) const {
    return object_->has(key) && !json::isNull(object_->get(key));
  }

  std::optional<std::string> optionalString(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    return checked(json::getString(object_, key), key);
  }

  std::string requiredString(const std::string& key) const {
    auto value = optionalString(key);
    if (!value || value->empty()) throw problem("the member \"" + key + "\" is missing or empty");
    return *value;
  }

  std::optional<std::vector<std::string>> optionalStrings(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    json::ArrayPtr array = json::getArray(object_, key);
    if (!array) throw problem("the member \"" + key + "\" is not an array");
    std::vector<std::string> out;
    for (size_t i = 0; i < array->size(); ++i) {
      const json::Value& item = array->get(static_cast<unsigned>(i));
      if (!json::isString(item))
        throw problem("the member \"" + key + "\" holds something other than strings");
      out.push_back(checked(item.extract<std::string>(), key));
    }
    return out;
  }

  std::optional<int64_t> optionalInteger(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    auto value = json::getInt(object_, key);
    if (!value) throw problem("the member \"" + key + "\" is not an integer");
    return value;
  }

  std::optional<std::string> optionalUrl(const std::string& key) const {
    auto value = optionalString(key);
    if (value && !parseUrl(*value))
      throw problem("the member \"" + key + "\" is not an http or https URL");
    return value;
  }

  std::string requiredUrl(const std::string& key) const {
    const std::string value = requiredString(key);
    if (!parseUrl(value)) throw problem("the member \"" + key + "\" is not an http or https URL");
    return value;
  }

  UpstreamOAuthError problem(const std::string& what) const {
    return UpstreamOAuthError("", url_ + ": " + what);
  }

 private:
  std::string checked(const std::optional<std::string>& value, const std::string& key) const {
    if (!value) throw problem("the member \"" + key + "\" is not a string");
    if (value->find('\0') != std::string::npos)
      throw problem("the member \"" + key + "\" holds a NUL byte");
    return *value;
  }

  std::string url_;
  json::ObjectPtr object_;
};

// RFC 6749 5.2: error codes and descriptions are printable ASCII without
// '"' and '\'. Anything else is replaced, and a long text cut, so that a
// hostile server cannot write what it likes into logs.
std::string printable(const std::string& text, size_t limit) {
  std::string out;
  for (unsigned char c : text.substr(0, limit)) {
    out += (c >= 0x20 && c <= 0x7E && c != '"' && c != '\\') ? static_cast<char>(c) : '?';
  }
  return out;
}

// A refusal: the OAuth error code and description when the server gave
// them (400 and 401, RFC 6749 5.2 and RFC 7591 3.2.2), else the status.
[[noreturn]] void refuse(const Reply& reply, const std::string& url, const std::string& who) {
  if ((reply.status == 400 || reply.status == 401) && !reply.oversized) {
    std::optional<std::string> code;
    std::optional<std::string> description;
    try {
      const Document document(reply, url);
      code = document.optionalString("error");
      description = document.optionalString("error_description");
    } catch (const UpstreamOAuthError&) {
      // Not the JSON of RFC 6749 5.2: the status is all there is to say.
    }
    if (code && !code->empty() && printable(*code, 100) == *code) {
      std::string message = who + " refused: " + *code;
      if (description && !description->empty()) message += ": " + printable(*description, 300);
      throw UpstreamOAuthError(*code, message);
    }
  }
  throw UpstreamOAuthError("", who + " refused: " + statusProblem(url, reply.status));
}

// Tokens, codes and secrets never reach a message, even when a server
// echoes them into its error description. Values shorter than any real
// credential are left alone: hiding them would blot out ordinary words.
std::string redact(std::string message, const std::vector<std::string>& secrets) {
  constexpr size_t kShortest = 8;
  for (const auto& secret : secrets) {
    if (secret.size() < kShortest) continue;
    for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at)) {
      message.replace(at, secret.size(), "[redacted]");
      at += 10;
    }
  }
  return message;
}

// ---- discovery -------------------------------------------------------------------------------

// The document at the first of `urls` that has one. A 4xx moves on to the
// next URL (servers that protect every path answer 401 or 403 where others
// answer 404); anything else is an error.
Document fetchFirst(const std::vector<std::string>& urls, const std::string& what,
                    const UpstreamOAuthOptions& options) {
  std::string tried;
  for (const auto& url : urls) {
    Outgoing request;
    request.url = url;
    const Reply reply = exchange(request, options);
    if (reply.status == 200) return Document(reply, url);
    if (reply.status < 400 || reply.status >= 500)
      throw UpstreamOAuthError("", statusProblem(url, reply.status));
    tried += (tried.empty() ? "" : ", ") + url + " (" + std::to_string(reply.status) + ")";
  }
  throw UpstreamOAuthError("", "no " + what + " found: tried " + tried);
}

struct ResourceMetadata {
  std::string issuer;
  std::vector<std::string> scopes;
};

void checkScopes(const std::vector<std::string>& scopes, const Document& from) {
  for (const auto& scope : scopes) {
    if (scope.empty() || printable(scope, scope.size()) != scope ||
        scope.find(' ') != std::string::npos) {
      throw from.problem("scopes_supported holds a value that is not a scope token");
    }
  }
}

// RFC 9728 3.1: the well-known suffix goes between the host and the path;
// the path-suffixed form first, then the root one.
ResourceMetadata discoverResource(const std::string& resource,
                                  const UpstreamOAuthOptions& options) {
  const Url url = requireUrl(resource, "the resource");
  const std::string root = url.origin + "/.well-known/oauth-protected-resource";
  const std::string suffix = withoutTrailingSlashes(url.path) + url.query;
  std::vector<std::string> candidates;
  if (!suffix.empty()) candidates.push_back(root + suffix);
  candidates.push_back(root);
  const Document document =
      fetchFirst(candidates, "protected resource metadata for " + resource, options);

  // RFC 9728 3.3: a document about another resource must not be used.
  const auto named = document.optionalString("resource");
  if (named && *named != resource) {
    throw document.problem("the metadata is about \"" + printable(*named, 200) + "\", not \"" +
                           resource + "\"");
  }
  const auto servers = document.optionalStrings("authorization_servers");
  if (!servers || servers->empty())
    throw document.problem("the metadata names no authorization server");
  ResourceMetadata out;
  out.issuer = servers->front();
  out.scopes = document.optionalStrings("scopes_supported").value_or(std::vector<std::string>{});
  checkScopes(out.scopes, document);
  return out;
}

// RFC 8414 3.1 (the well-known suffix inserted before the issuer's path),
// then OpenID Connect Discovery 1.0 4 (appended to the issuer).
Endpoints discoverServer(const std::string& issuer, const UpstreamOAuthOptions& options) {
  const Url url = requireUrl(issuer, "the issuer");
  if (issuer.find_first_of("?#") != std::string::npos) {
    throw UpstreamOAuthError("", "the issuer " + issuer + " has a query or fragment (RFC 8414 2)");
  }
  const std::string path = withoutTrailingSlashes(url.path);
  const Document document =
      fetchFirst({url.origin + "/.well-known/oauth-authorization-server" + path,
                  url.origin + path + "/.well-known/openid-configuration"},
                 "authorization server metadata for " + issuer, options);

  // RFC 8414 3.3: the issuer must be the one asked for, to the letter, or
  // one server could speak for another.
  if (document.optionalString("issuer") != std::optional<std::string>(issuer)) {
    throw document.problem("the metadata's issuer is not \"" + issuer + "\"");
  }
  Endpoints out;
  out.issuer = issuer;
  out.authorizationEndpoint = document.requiredUrl("authorization_endpoint");
  out.tokenEndpoint = document.requiredUrl("token_endpoint");
  out.revocationEndpoint = document.optionalUrl("revocation_endpoint").value_or("");
  out.registrationEndpoint = document.optionalUrl("registration_endpoint").value_or("");
  if (const auto methods = document.optionalStrings("code_challenge_methods_supported")) {
    if (std::find(methods->begin(), methods->end(), "S256") == methods->end()) {
      throw document.problem("the server does not offer PKCE with S256");
    }
  }
  return out;
}

// ---- tokens ----------------------------------------------------------------------------------

// Client authentication (RFC 6749 2.3.1): HTTP Basic with the form-encoded
// id and secret for a confidential client, the client_id in the body for a
// public one.
void authenticate(Outgoing& request, Form& form, const ClientRegistration& client) {
  if (client.clientSecret.empty()) {
    form.emplace_back("client_id", client.clientId);
    return;
  }
  request.authorization = "Basic " + common::base64Encode(formEncode(client.clientId) + ":" +
                                                          formEncode(client.clientSecret));
}

Reply postForm(const std::string& url, Form form, const ClientRegistration& client,
               const UpstreamOAuthOptions& options) {
  Outgoing request;
  request.method = Poco::Net::HTTPRequest::HTTP_POST;
  request.url = url;
  request.contentType = "application/x-www-form-urlencoded";
  authenticate(request, form, client);
  request.body = encodeForm(form);
  return exchange(request, options);
}

TokenSet readTokens(const Reply& reply, const std::string& url) {
  if (reply.status != 200) refuse(reply, url, "the token endpoint");
  const Document document(reply, url);
  TokenSet tokens;
  tokens.accessToken = document.requiredString("access_token");
  // The token goes into an Authorization header upstream.
  if (!common::isHeaderSafe(tokens.accessToken)) {
    throw document.problem("the access token holds bytes that cannot go into a header");
  }
  const std::string type = document.requiredString("token_type");
  if (!common::iequals(type, "bearer")) {
    throw document.problem("the token type \"" + printable(type, 40) + "\" is not Bearer");
  }
  tokens.tokenType = "Bearer";
  tokens.refreshToken = document.optionalString("refresh_token").value_or("");
  tokens.scope = document.optionalString("scope").value_or("");
  if (const auto expiresIn = document.optionalInteger("expires_in")) {
    if (*expiresIn < 0) throw document.problem("expires_in is negative");
    // Ten years is forever for a token, and keeps the sum in range.
    constexpr int64_t kLongest = 10LL * 365 * 24 * 3600;
    tokens.expiresAt = storage::nowMillis() + std::min(*expiresIn, kLongest) * 1000;
  }
  return tokens;
}

// Runs `call`, keeping `secrets` out of whatever it throws.
template <typename Call>
auto withSecretsRedacted(const std::vector<std::string>& secrets, Call call) {
  try {
    return call();
  } catch (const UpstreamOAuthError& e) {
    throw UpstreamOAuthError(e.code(), redact(e.what(), secrets));
  }
}

}  // namespace

UpstreamOAuthClient::UpstreamOAuthClient(UpstreamOAuthOptions options)
    : options_(std::move(options)) {}

Endpoints UpstreamOAuthClient::discover(const ProviderSettings& settings) {
  if (!settings.authorizationEndpoint.empty() && !settings.tokenEndpoint.empty()) {
    requireUrl(settings.authorizationEndpoint, "the configured authorization endpoint");
    requireUrl(settings.tokenEndpoint, "the configured token endpoint");
    if (!settings.revocationEndpoint.empty()) {
      requireUrl(settings.revocationEndpoint, "the configured revocation endpoint");
    }
    Endpoints out;
    out.issuer = settings.issuer;
    out.authorizationEndpoint = settings.authorizationEndpoint;
    out.tokenEndpoint = settings.tokenEndpoint;
    out.revocationEndpoint = settings.revocationEndpoint;
    out.scopes = settings.scopes;
    return out;
  }
  std::string issuer = settings.issuer;
  std::vector<std::string> scopes = settings.scopes;
  if (issuer.empty()) {
    if (settings.resource.empty()) {
      throw UpstreamOAuthError(
          "",
          "no resource, issuer or endpoints are configured to discover the upstream's "
          "authorization server from");
    }
    ResourceMetadata resource = discoverResource(settings.resource, options_);
    issuer = resource.issuer;
    if (scopes.empty()) scopes = std::move(resource.scopes);
  }
  Endpoints out = discoverServer(issuer, options_);
  if (!settings.revocationEndpoint.empty()) {
    requireUrl(settings.revocationEndpoint, "the configured revocation endpoint");
    out.revocationEndpoint = settings.revocationEndpoint;
  }
  out.scopes = std::move(scopes);
  return out;
}

ClientRegistration UpstreamOAuthClient::registerClient(const Endpoints& endpoints,
                                                       const std::string& redirectUri,
                                                       const std::string& clientName) {
  if (endpoints.registrationEndpoint.empty()) {
    throw UpstreamOAuthError("", "the authorization server " + endpoints.issuer +
                                     " offers no dynamic registration: set client_id");
  }
  json::ObjectPtr metadata = json::makeObject();
  metadata->set("client_name", clientName);
  json::ArrayPtr redirectUris = json::makeArray();
  redirectUris->add(redirectUri);
  metadata->set("redirect_uris", redirectUris);
  json::ArrayPtr grantTypes = json::makeArray();
  grantTypes->add(std::string("authorization_code"));
  grantTypes->add(std::string("refresh_token"));
  metadata->set("grant_types", grantTypes);
  json::ArrayPtr responseTypes = json::makeArray();
  responseTypes->add(std::string("code"));
  metadata->set("response_types", responseTypes);
  metadata->set("token_endpoint_auth_method", std::string("none"));

  Outgoing request;
  request.method = Poco::Net::HTTPRequest::HTTP_POST;
  request.url = endpoints.registrationEndpoint;
  request.contentType = "application/json";
  request.body = json::stringify(metadata);
  const Reply reply = exchange(request, options_);
  if (reply.status != 200 && reply.status != 201)
    refuse(reply, request.url, "the registration endpoint");
  const Document document(reply, request.url);
  ClientRegistration out;
  out.clientId = document.requiredString("client_id");
  out.clientSecret = document.optionalString("client_secret").value_or("");
  return out;
}

std::string UpstreamOAuthClient::authorizationUrl(
    const Endpoints& endpoints, const ClientRegistration& client, const std::string& redirectUri,
    const std::string& state, const std::string& codeChallenge, const std::string& resource) {
  Form form{{"response_type", "code"},         {"client_id", client.clientId},
            {"redirect_uri", redirectUri},     {"state", state},
            {"code_challenge", codeChallenge}, {"code_challenge_method", "S256"}};
  if (!resource.empty()) form.emplace_back("resource", resource);
  if (!endpoints.scopes.empty()) {
    std::string scope;
    for (const auto& s : endpoints.scopes) scope += (scope.empty() ? "" : " ") + s;
    form.emplace_back("scope", scope);
  }
  const std::string& base = endpoints.authorizationEndpoint;
  std::string separator = "?";
  if (base.find('?') != std::string::npos)
    separator = (base.back() == '?' || base.back() == '&') ? "" : "&";
  return base + separator + encodeForm(form);
}

TokenSet UpstreamOAuthClient::exchangeCode(const Endpoints& endpoints,
                                           const ClientRegistration& client,
                                           const std::string& code, const std::string& redirectUri,
                                           const std::string& codeVerifier,
                                           const std::string& resource) {
  return withSecretsRedacted({client.clientSecret, code, codeVerifier}, [&] {
    Form form{{"grant_type", "authorization_code"},
              {"code", code},
              {"redirect_uri", redirectUri},
              {"code_verifier", codeVerifier}};
    if (!resource.empty()) form.emplace_back("resource", resource);
    return readTokens(postForm(endpoints.tokenEndpoint, std::move(form), client, options_),
                      endpoints.tokenEndpoint);
  });
}

TokenSet UpstreamOAuthClient::refresh(const Endpoints& endpoints, const ClientRegistration& client,
                                      const std::string& refreshToken,
                                      const std::string& resource) {
  return withSecretsRedacted({client.clientSecret, refreshToken}, [&] {
    Form form{{"grant_type", "refresh_token"}, {"refresh_token", refreshToken}};
    if (!resource.empty()) form.emplace_back("resource", resource);
    TokenSet tokens =
        readTokens(postForm(endpoints.tokenEndpoint, std::move(form), client, options_),
                   endpoints.tokenEndpoint);
    // RFC 6749 6: a server that does not rotate refresh tokens sends none.
    if (tokens.refreshToken.empty()) tokens.refreshToken = refreshToken;
    return tokens;
  });
}

void UpstreamOAuthClient::revoke(const Endpoints& endpoints, const ClientRegistration& client,
                                 const std::string& token) {
  if (endpoints.revocationEndpoint.empty()) return;
  withSecretsRedacted({client.clientSecret, token}, [&] {
    // The hint only speeds the server's search (RFC 7009 2.1): a linked
    // account is revoked through its refresh token, which ends the grant.
    const Reply reply =
        postForm(endpoints.revocationEndpoint,
                 {{"token", token}, {"token_type_hint", "refresh_token"}}, client, options_);
    if (reply.status != 200) refuse(reply, endpoints.revocationEndpoint, "the revocation endpoint");
    return 0;
  });
}

}  // namespace portcullis::accounts
