#pragma once
// Tamper-proof requestState for multi round-trip requests the core drives
// itself (a plugin that asks the client a question while serving a
// 2026-07-28 client): the answers gathered so far travel with the client,
// sealed with an HMAC under a key that never leaves this process.

#include <chrono>
#include <string>

#include "core/common/json.hpp"

namespace portcullis::mcp {

class RequestStateSealer {
 public:
  RequestStateSealer();

  std::string seal(const common::json::ObjectPtr& payload, std::chrono::seconds ttl) const;
  // nullptr unless the token is ours, intact and unexpired.
  common::json::ObjectPtr open(const std::string& token) const;
  static bool looksSealed(const std::string& token);

 private:
  std::string mac(const std::string& data) const;
  std::string key_;
};

}  // namespace portcullis::mcp
