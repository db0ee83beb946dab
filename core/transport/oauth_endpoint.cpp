#include "core/transport/oauth_endpoint.hpp"

#include "core/common/text.hpp"
#include "core/jsonrpc/message.hpp"

namespace portcullis::transport {

namespace {

void send(Exchange& exchange, const oauth::HttpResponse& response) {
  for (const auto& [name, value] : response.headers) exchange.setHeader(name, value);
  if (response.body.empty() && response.contentType.empty()) {
    exchange.respondEmpty(response.status);
  } else {
    exchange.respond(response.status, response.contentType, response.body);
  }
}

}  // namespace

bool OAuthEndpoint::crossOrigin(const std::string& path) {
  return common::startsWith(path, "/.well-known/") || path == "/oauth/token" || path == "/oauth/jwks" ||
         path == "/oauth/revoke" || path == "/oauth/introspect" || path == "/oauth/register" ||
         common::startsWith(path, "/oauth/register/");
}

void OAuthEndpoint::handle(Exchange& exchange) {
  const std::string host = exchange.header("Host").value_or("");
  if (!guards_.hostAllowed(host)) {
    exchange.respondJson(403, oauth::oauthError(403, "invalid_request", "Host \"" + host + "\" is not allowed").body);
    return;
  }
  const bool cors = crossOrigin(exchange.path());
  if (exchange.method() == "OPTIONS") {
    if (!cors) {
      exchange.setHeader("Allow", "GET, POST");
      exchange.respondEmpty(405);
      return;
    }
    exchange.setHeader("Access-Control-Allow-Origin", "*");
    exchange.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
    exchange.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, MCP-Protocol-Version");
    exchange.setHeader("Access-Control-Max-Age", "600");
    exchange.respondEmpty(204);
    return;
  }

  oauth::HttpRequest request;
  request.method = exchange.method();
  request.path = exchange.path();
  if (!oauth::parseForm(exchange.rawQuery(), request.query)) {
    exchange.respondJson(400, oauth::oauthError(400, "invalid_request", "the query string is malformed").body);
    return;
  }
  request.headers = exchange.headers();
  if (request.method == "POST" || request.method == "PUT") {
    auto body = exchange.readBody();
    if (!body) return;
    request.body = std::move(*body);
  }
  request.baseUrl = publicUrl_.baseFor(exchange);
  request.secure = publicUrl_.secureFor(exchange);
  request.clientAddress = publicUrl_.clientAddressFor(exchange);

  std::optional<oauth::HttpResponse> response =
      accounts_ != nullptr && accounts::AccountPages::owns(request.path) ? accounts_->handle(request)
                                                                         : server_.handle(request);
  if (!response) response = oauth::oauthError(404, "invalid_request", "no such endpoint");
  if (cors) {
    bool present = false;
    for (const auto& header : response->headers) present |= common::iequals(header.first, "Access-Control-Allow-Origin");
    if (!present) response->set("Access-Control-Allow-Origin", "*");
    response->set("Access-Control-Expose-Headers", "WWW-Authenticate");
  }
  send(exchange, *response);
}

}  // namespace portcullis::transport
