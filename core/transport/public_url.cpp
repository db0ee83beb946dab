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

bool PublicUrl::trusted(const Exchange& exchange) const {
  if (trustedProxies_.empty()) return false;
  const std::string peer = exchange.peerHost();
  return std::find(trustedProxies_.begin(), trustedProxies_.end(), peer) != trustedProxies_.end();
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
