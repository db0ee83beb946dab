#include "core/transport/public_url.hpp"

#include <algorithm>

#include "core/common/text.hpp"

namespace portcullis::transport {

namespace {

bool plausibleHost(const std::string& host) {
  return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
         });
}

// The first value of a comma-separated forwarded header (the client side).
std::string first(const std::string& value) { return std::string(common::trim(value.substr(0, value.find(',')))); }

}  // namespace

PublicUrl::PublicUrl(std::string configured, std::vector<std::string> trustedProxies, bool tls)
    : configured_(std::move(configured)), trustedProxies_(std::move(trustedProxies)), tls_(tls) {}

bool PublicUrl::trustedAddress(const std::string& address) const {
  return std::find(trustedProxies_.begin(), trustedProxies_.end(), address) != trustedProxies_.end();
}

bool PublicUrl::trusted(const Exchange& exchange) const {
  return !trustedProxies_.empty() && trustedAddress(exchange.peerHost());
}

std::string PublicUrl::clientAddressFor(const Exchange& exchange) const {
  std::string address = exchange.peerHost();
  if (!trusted(exchange)) return address;
  const auto forwarded = exchange.header("X-Forwarded-For");
  if (!forwarded) return address;
  // Right to left: each trusted proxy vouches for the address before it.
  auto hops = common::split(*forwarded, ',');
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const std::string hop(common::trim(*it));
    if (hop.empty() || hop.size() > 64 || !plausibleHost(hop)) break;
    address = hop;
    if (!trustedAddress(hop)) break;
  }
  return address;
}

bool PublicUrl::secureFor(const Exchange& exchange) const {
  if (!configured_.empty()) return common::startsWith(configured_, "https://");
  if (trusted(exchange)) {
    if (auto proto = exchange.header("X-Forwarded-Proto")) return common::iequals(first(*proto), "https");
  }
  return tls_;
}

std::string PublicUrl::baseFor(const Exchange& exchange) const {
  if (!configured_.empty()) return configured_;
  std::string host = exchange.header("Host").value_or("localhost");
  if (trusted(exchange)) {
    if (auto forwarded = exchange.header("X-Forwarded-Host"); forwarded && plausibleHost(first(*forwarded))) {
      host = first(*forwarded);
    }
  }
  return std::string(secureFor(exchange) ? "https://" : "http://") + common::toLower(host);
}

}  // namespace portcullis::transport
