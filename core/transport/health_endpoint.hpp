#pragma once
// /healthz (the process answers) and /readyz (it serves MCP), plus the JSON
// 404 for every path nobody claimed.

#include <functional>
#include <string>

#include "core/transport/http_server.hpp"

namespace portcullis::transport {

class HealthEndpoint : public Handler {
 public:
  // readiness: returns the /readyz body; an empty string means not ready.
  explicit HealthEndpoint(std::function<std::string()> readiness) : readiness_(std::move(readiness)) {}
  void handle(Exchange& exchange) override;

 private:
  std::function<std::string()> readiness_;
};

class NotFoundEndpoint : public Handler {
 public:
  void handle(Exchange& exchange) override;
};

}  // namespace portcullis::transport
