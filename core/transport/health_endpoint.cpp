#include "core/transport/health_endpoint.hpp"

namespace portcullis::transport {

void HealthEndpoint::handle(Exchange& exchange) {
  if (exchange.method() != "GET" && exchange.method() != "HEAD") {
    exchange.setHeader("Allow", "GET, HEAD");
    exchange.respondJson(405, R"({"error":"method_not_allowed"})");
    return;
  }
  exchange.setHeader("Cache-Control", "no-store");
  if (exchange.path() == "/healthz") {
    exchange.respondJson(200, R"({"status":"ok"})");
    return;
  }
  const std::string body = readiness_ ? readiness_() : std::string();
  if (body.empty()) {
    exchange.respondJson(503, R"({"status":"starting"})");
  } else {
    exchange.respondJson(200, body);
  }
}

void NotFoundEndpoint::handle(Exchange& exchange) {
  exchange.respondJson(404, R"({"error":"not_found","error_description":"no such endpoint"})");
}

}  // namespace portcullis::transport
