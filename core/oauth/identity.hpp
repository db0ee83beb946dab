#pragma once
// What the authorization server needs from an identity provider (the
// built-in one, or later an external OpenID provider): the sign-in form's
// fields, a check of what was submitted, and administration. Implemented by
// plugin_host over the C ABI.

#include <string>

#include "core/common/json.hpp"

namespace portcullis::oauth {

namespace json = common::json;

struct Authentication {
  bool ok = false;
  std::string username;  // ok: who signed in
  std::string name;
  std::string email;
  std::string message;  // not ok: what to show
};

class IdentityProvider {
 public:
  virtual ~IdentityProvider() = default;
  virtual const std::string& name() const = 0;
  // HTML of the form's fields (inputs named username and password).
  virtual std::string loginForm(const json::ObjectPtr& context) = 0;
  virtual Authentication authenticate(const json::ObjectPtr& fields) = 0;
  // Throws std::runtime_error with the plugin's reason when refused.
  virtual json::ObjectPtr admin(const json::ObjectPtr& command) = 0;
};

}  // namespace portcullis::oauth
