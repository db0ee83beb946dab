#pragma once
// Checks every request passes before anything else looks at it: the Host and
// Origin headers (DNS-rebinding protection), CORS for browser clients, and
// the Accept and Content-Type rules of Streamable HTTP.

#include <string>
#include <vector>

#include "core/transport/exchange.hpp"

namespace portcullis::transport {

struct OriginPolicy {
  bool loopbackBind = true;                 // bound to 127.0.0.1 / ::1 / localhost
  std::vector<std::string> allowedOrigins;  // exact, e.g. "https://app.example.com"
  std::vector<std::string> allowedHosts;    // Host names accepted besides loopback
};

class Guards {
 public:
  explicit Guards(OriginPolicy policy) : policy_(std::move(policy)) {}

  // Answers 403 and returns false when Host or Origin is not acceptable.
  // Otherwise adds the CORS response headers an allowed Origin needs.
  bool admit(Exchange& exchange) const;
  // Answers a CORS preflight (OPTIONS).
  void preflight(Exchange& exchange, const std::string& methods) const;

  bool hostAllowed(const std::string& host) const;
  bool originAllowed(const std::string& origin, const std::string& host) const;

  static bool isLoopbackName(const std::string& hostname);
  // "localhost:8080" → "localhost"; "[::1]:80" → "[::1]".
  static std::string hostnameOf(const std::string& hostHeader);

 private:
  OriginPolicy policy_;
};

// Accept lists both (or */*) for MCP POSTs; text/event-stream for GETs.
bool acceptsJson(const std::string& accept);
bool acceptsEventStream(const std::string& accept);
bool isJsonContentType(const std::string& contentType);

// A JSON-RPC error body with a null id, for transport-level rejections.
std::string transportError(int code, const std::string& message);

}  // namespace portcullis::transport
