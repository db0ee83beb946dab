#pragma once
// Who is calling: from the bearer token of the request, or anonymous when
// sign-in is off.

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
  std::string apiTokenId;  // set when the caller used an API token
  bool authenticated = false;

  common::json::ObjectPtr toJson() const;
};

}  // namespace portcullis::mcp
