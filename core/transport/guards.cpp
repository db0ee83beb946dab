#include "core/transport/guards.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "core/common/text.hpp"
#include "core/jsonrpc/message.hpp"

namespace portcullis::transport {

using common::iequals;
using common::toLower;

std::string transportError(int code, const std::string& message) {
  return jsonrpc::errorResponse({}, code, message);
}

bool Guards::isLoopbackName(const std::string& hostname) {
  const std::string h = toLower(hostname);
  if (h == "localhost" || h == "[::1]" || h == "::1") return true;
  // 127.0.0.0/8, written as an IPv4 address (not a name that starts with "127.").
  in_addr address{};
  return inet_pton(AF_INET, h.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

std::string Guards::hostnameOf(const std::string& hostHeader) {
  if (!hostHeader.empty() && hostHeader.front() == '[') {
    const size_t close = hostHeader.find(']');
    return close == std::string::npos ? hostHeader : hostHeader.substr(0, close + 1);
  }
  const size_t colon = hostHeader.rfind(':');
  return colon == std::string::npos ? hostHeader : hostHeader.substr(0, colon);
}

bool Guards::hostAllowed(const std::string& host) const {
  const std::string name = toLower(hostnameOf(host));
  if (name.empty()) return false;
  for (const auto& allowed : policy_.allowedHosts) {
    if (iequals(allowed, name) || iequals(allowed, host)) return true;
  }
  if (isLoopbackName(name)) return true;
  // A loopback bind only answers loopback names (DNS-rebinding protection);
  // a public bind answers any name unless a list was configured.
  return !policy_.loopbackBind && policy_.allowedHosts.empty();
}

bool Guards::originAllowed(const std::string& origin, const std::string& host) const {
  for (const auto& allowed : policy_.allowedOrigins) {
    if (allowed == origin) return true;
  }
  std::string rest;
  if (common::startsWith(origin, "http://")) {
    rest = origin.substr(7);
  } else if (common::startsWith(origin, "https://")) {
    rest = origin.substr(8);
  } else {
    return false;
  }
  if (rest.empty() || rest.find_first_of("/?#@\\ ") != std::string::npos) return false;
  // Same origin as the Host the client addressed.
  if (iequals(rest, host)) return true;
  return policy_.loopbackBind && isLoopbackName(hostnameOf(rest));
}

bool Guards::admit(Exchange& exchange) const {
  const std::string host = exchange.header("Host").value_or("");
  if (!hostAllowed(host)) {
    exchange.respondJson(403, transportError(jsonrpc::codes::kServerError,
                                             "Forbidden: Host \"" + host + "\" is not allowed"));
    return false;
  }
  if (auto origin = exchange.header("Origin")) {
    if (!originAllowed(*origin, host)) {
      exchange.respondJson(403, transportError(jsonrpc::codes::kServerError,
                                               "Forbidden: Origin \"" + *origin + "\" is not allowed"));
      return false;
    }
    exchange.setHeader("Access-Control-Allow-Origin", *origin);
    exchange.setHeader("Vary", "Origin");
    exchange.setHeader("Access-Control-Expose-Headers",
                       "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate");
  }
  return true;
}

void Guards::preflight(Exchange& exchange, const std::string& methods) const {
  if (!admit(exchange)) return;
  exchange.setHeader("Access-Control-Allow-Methods", methods);
  std::string allowed =
      "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, "
      "Last-Event-ID";
  // Mcp-Param-{Name} headers cannot be listed in advance: echo those the
  // browser asks for.
  for (const auto& requested : common::split(exchange.header("Access-Control-Request-Headers").value_or(""), ',')) {
    const std::string name(common::trim(requested));
    if (name.size() > 10 && common::iequals(name.substr(0, 10), "mcp-param-") && common::isHeaderSafe(name) &&
        name.find_first_of(" \t:,") == std::string::npos) {
      allowed += ", " + name;
    }
  }
  exchange.setHeader("Access-Control-Allow-Headers", allowed);
  exchange.setHeader("Access-Control-Max-Age", "600");
  exchange.respondEmpty(204);
}

namespace {
bool listsMediaType(const std::string& header, const std::string& wanted) {
  for (const auto& part : common::split(header, ',')) {
    std::string type = std::string(common::trim(part));
    const size_t semi = type.find(';');
    if (semi != std::string::npos) {
      // "q=0" means not acceptable.
      for (const auto& param : common::split(type.substr(semi + 1), ';')) {
        const std::string p = toLower(std::string(common::trim(param)));
        if (p == "q=0" || p == "q=0." || p == "q=0.0" || p == "q=0.00" || p == "q=0.000") {
          type.clear();
        }
      }
      if (type.empty()) continue;
      type = std::string(common::trim(type.substr(0, semi)));
    }
    type = toLower(type);
    if (type == wanted || type == "*/*") return true;
    if (type.size() > 2 && type.compare(type.size() - 2, 2, "/*") == 0 &&
        wanted.compare(0, type.size() - 1, type, 0, type.size() - 1) == 0) {
      return true;
    }
  }
  return false;
}
}  // namespace

bool acceptsJson(const std::string& accept) { return listsMediaType(accept, "application/json"); }
bool acceptsEventStream(const std::string& accept) {
  return listsMediaType(accept, "text/event-stream");
}

bool isJsonContentType(const std::string& contentType) {
  std::string type = contentType;
  const size_t semi = type.find(';');
  if (semi != std::string::npos) type = type.substr(0, semi);
  return toLower(std::string(common::trim(type))) == "application/json";
}

}  // namespace portcullis::transport
