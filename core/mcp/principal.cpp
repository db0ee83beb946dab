#include "core/mcp/principal.hpp"

#include "core/mcp/provider.hpp"

namespace portcullis::mcp {

namespace json = common::json;

namespace {
json::ArrayPtr list(const std::vector<std::string>& items) {
  json::ArrayPtr a = json::makeArray();
  for (const auto& item : items) a->add(item);
  return a;
}
}  // namespace

json::ObjectPtr Principal::toJson() const {
  json::ObjectPtr o = json::makeObject();
  o->set("subject", subject);
  o->set("authenticated", authenticated);
  if (!username.empty()) o->set("username", username);
  if (!name.empty()) o->set("name", name);
  if (!email.empty()) o->set("email", email);
  o->set("roles", list(roles));
  o->set("groups", list(groups));
  o->set("scopes", list(scopes));
  if (!clientId.empty()) o->set("clientId", clientId);
  if (!apiTokenId.empty()) o->set("apiTokenId", apiTokenId);
  return o;
}

std::string CallContext::identityAssertion(const std::string&, std::chrono::milliseconds) {
  throw std::runtime_error("identity assertions need sign-in (an auth: section) on this server");
}

const Principal& CallContext::principal() const {
  static const Principal kAnonymous;
  return kAnonymous;
}

}  // namespace portcullis::mcp
