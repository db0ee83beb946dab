#pragma once
// Who is calling. Until sign-in exists every caller is anonymous.

#include <string>
#include <vector>

#include "core/common/json.hpp"

namespace portcullis::mcp {

struct Principal {
  std::string subject = "anonymous";
  std::string username;
  std::string name;
  std::string email;
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  std::vector<std::string> scopes;
  std::string clientId;
  bool authenticated = false;

  common::json::ObjectPtr toJson() const;
};

}  // namespace portcullis::mcp
