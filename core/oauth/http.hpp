#pragma once
// The HTTP requests and responses of the OAuth endpoints, as plain values,
// so the authorization server does not depend on the transport.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::oauth {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;
  std::string path;
  Pairs query;    // decoded
  Pairs headers;  // as sent
  std::string body;
  std::string baseUrl;  // scheme://host[:port] the client used (or public_url)
  bool secure = false;  // https as the client sees it
  std::string clientAddress;

  std::optional<std::string> header(const std::string& name) const;
  std::optional<std::string> cookie(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string contentType;
  std::string body;
  Pairs headers;

  void set(const std::string& name, const std::string& value) { headers.emplace_back(name, value); }
};

// application/x-www-form-urlencoded. Returns false for malformed input.
bool parseForm(const std::string& text, Pairs& out);
std::string formEncode(const std::string& value);
// The single value of a parameter; `duplicate` is set when it appears twice.
std::optional<std::string> single(const Pairs& pairs, const std::string& name, bool& duplicate);

}  // namespace portcullis::oauth
