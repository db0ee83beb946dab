#pragma once
// Fetches Client ID Metadata Documents: a client_id that is an https URL
// names a JSON document describing the client. Fetching a URL a stranger
// chose is an SSRF risk, so: https only, the address is resolved and
// checked before connecting (no private, loopback or link-local address
// unless the development allow-list names the host), the connection goes to
// that checked address, no redirects, a size cap and a deadline. Successful
// documents are cached as their Cache-Control allows.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/common/json.hpp"

namespace portcullis::oauth {

struct FetcherOptions {
  std::vector<std::string> allowHosts;  // development only
  std::string caFile;                   // development only
  std::chrono::milliseconds timeout{5'000};
  size_t maxBytes = 5 * 1024;
};

struct FetchedDocument {
  bool ok = false;
  common::json::ObjectPtr document;
  std::string error;  // why not, for the error page and log
};

class ClientMetadataFetcher {
 public:
  explicit ClientMetadataFetcher(FetcherOptions options) : options_(std::move(options)) {}

  FetchedDocument fetch(const std::string& url);

  // Whether the text is a client_id that names a metadata document
  // (https, a host, a path other than "/", no userinfo, fragment, query or
  // dot segments).
  static bool isMetadataUrl(const std::string& clientId);
  // Loopback, private, link-local, unspecified, multicast and other
  // special-use addresses (RFC 6890), for IPv4 and IPv6.
  static bool isSpecialUse(const std::string& address);

 private:
  struct Cached {
    common::json::ObjectPtr document;
    std::chrono::steady_clock::time_point until;
  };
  FetchedDocument download(const std::string& url, std::chrono::seconds& maxAge);

  FetcherOptions options_;
  std::mutex mutex_;
  std::map<std::string, Cached> cache_;
};

}  // namespace portcullis::oauth
