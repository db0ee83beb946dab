#pragma once
// The URL clients use to reach this server, from which the issuer, the
// resource and every link in the metadata are built: server.public_url when
// set; otherwise what a trusted proxy reports in X-Forwarded-Proto and
// X-Forwarded-Host; otherwise the scheme this server speaks and the Host
// header the client sent (already checked by the guards).

#include <string>
#include <vector>

#include "core/transport/exchange.hpp"

namespace portcullis::transport {

class PublicUrl {
 public:
  PublicUrl(std::string configured, std::vector<std::string> trustedProxies, bool tls);

  // scheme://host[:port] (plus the configured path prefix, if any).
  std::string baseFor(const Exchange& exchange) const;
  // Whether the client sees https.
  bool secureFor(const Exchange& exchange) const;
  // The client's address: the peer, or behind trusted proxies the nearest
  // address in X-Forwarded-For that is not one of them.
  std::string clientAddressFor(const Exchange& exchange) const;
  const std::string& configured() const { return configured_; }

 private:
  bool trusted(const Exchange& exchange) const;
  bool trustedAddress(const std::string& address) const;

  std::string configured_;
  std::vector<std::string> trustedProxies_;
  bool tls_;
};

}  // namespace portcullis::transport
