#include "client_credentials.hpp"

#include <memory>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <portcullis/sdk/errors.hpp>
#include <portcullis/sdk/text.hpp>

#include "transport.hpp"

namespace portcullis::mcp_upstream {

namespace {

using Json = sdk::Json;

constexpr size_t kMaxTokenResponseBytes = 64 * 1024;
constexpr auto kRenewBefore = std::chrono::seconds(60);

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

Poco::Timespan timespan(std::chrono::milliseconds ms) { return Poco::Timespan(ms.count() * 1000); }

}  // namespace

std::string formEncode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '*') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

TokenRequest tokenRequest(const ClientCredentialsSettings& s) {
  TokenRequest r;
  r.body = "grant_type=client_credentials";
  if (!s.scope.empty()) r.body += "&scope=" + formEncode(s.scope);
  if (!s.resource.empty()) r.body += "&resource=" + formEncode(s.resource);
  if (s.basic) {
    // RFC 6749 §2.3.1: both parts form-encoded before they are joined.
    r.authorization = "Basic " + base64(formEncode(s.clientId) + ":" + formEncode(s.clientSecret));
  } else {
    r.body += "&client_id=" + formEncode(s.clientId) + "&client_secret=" + formEncode(s.clientSecret);
  }
  return r;
}

IssuedToken parseTokenResponse(int status, const std::string& body) {
  const Json answer = Json::parse(body, nullptr, false);
  if (status != 200) {
    std::string reason = "HTTP " + std::to_string(status);
    if (answer.is_object() && answer.contains("error") && answer["error"].is_string()) {
      reason += ", " + answer["error"].get<std::string>();
      if (answer.contains("error_description") && answer["error_description"].is_string())
        reason += ": " + answer["error_description"].get<std::string>();
    }
    throw UpstreamError("the token endpoint refused the client credentials (" + reason + ")");
  }
  if (!answer.is_object() || !answer.contains("access_token") || !answer["access_token"].is_string() ||
      answer["access_token"].get<std::string>().empty()) {
    throw UpstreamError("the token endpoint's answer has no access_token");
  }
  const std::string type = answer.value("token_type", std::string());
  if (!sdk::equalsIgnoringCase(type, "bearer")) throw UpstreamError("the token endpoint issued a \"" + type + "\" token, not a Bearer token");
  const std::string token = answer["access_token"].get<std::string>();
  if (token.find_first_of("\r\n\t ") != std::string::npos)
    throw UpstreamError("the token endpoint issued a token that cannot go in a header");
  std::chrono::seconds lifetime(3600);
  if (answer.contains("expires_in")) {
    if (!answer["expires_in"].is_number_integer() || answer["expires_in"].get<int64_t>() <= 0)
      throw UpstreamError("the token endpoint's expires_in is not a positive integer");
    lifetime = std::chrono::seconds(answer["expires_in"].get<int64_t>());
  }
  return {token, lifetime};
}

ClientCredentials::ClientCredentials(ClientCredentialsSettings settings, std::chrono::milliseconds connectTimeout,
                                     std::chrono::milliseconds requestTimeout)
    : settings_(std::move(settings)), connectTimeout_(connectTimeout), requestTimeout_(requestTimeout) {}

std::string ClientCredentials::authorization() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (token_.empty() || now + kRenewBefore >= expiresAt_) {
    const IssuedToken issued = fetch();
    token_ = issued.accessToken;
    expiresAt_ = now + issued.lifetime;
  }
  return "Bearer " + token_;
}

void ClientCredentials::forget() {
  std::lock_guard lock(mutex_);
  token_.clear();
}

IssuedToken ClientCredentials::fetch() const {
  const Poco::URI uri(settings_.tokenUrl);
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort());
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  session->setTimeout(timespan(connectTimeout_), timespan(requestTimeout_), timespan(requestTimeout_));
  const TokenRequest r = tokenRequest(settings_);
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/x-www-form-urlencoded");
  request.set("Accept", "application/json");
  if (!r.authorization.empty()) request.set("Authorization", r.authorization);
  request.setContentLength(static_cast<std::streamsize>(r.body.size()));
  try {
    session->sendRequest(request) << r.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    std::string body;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      body.append(buffer, static_cast<size_t>(in.gcount()));
      if (body.size() > kMaxTokenResponseBytes) throw UpstreamError("the token endpoint's answer is too large");
    }
    return parseTokenResponse(static_cast<int>(response.getStatus()), body);
  } catch (const Poco::Exception& e) {
    throw UpstreamError("cannot reach the token endpoint " + settings_.tokenUrl + ": " + e.displayText());
  }
}

}  // namespace portcullis::mcp_upstream
