#include "core/plugin_host/identity_adapter.hpp"

#include <stdexcept>

#include "core/common/json.hpp"
#include "core/common/log.hpp"

namespace portcullis::plugin_host {

namespace json = common::json;

IdentityAdapter::IdentityAdapter(std::string name, std::shared_ptr<const void> keepAlive,
                                 const pc_plugin* descriptor, std::unique_ptr<storage::PluginStore> store)
    : HostedPlugin(std::move(name), std::move(keepAlive), descriptor, std::move(store)) {}

std::shared_ptr<IdentityAdapter> IdentityAdapter::create(const std::string& name,
                                                         std::shared_ptr<const void> keepAlive,
                                                         const pc_plugin* descriptor, const std::string& configJson,
                                                         std::unique_ptr<storage::PluginStore> store,
                                                         std::string& reason) {
  std::shared_ptr<IdentityAdapter> adapter(new IdentityAdapter(name, std::move(keepAlive), descriptor, std::move(store)));
  if (!adapter->createInstance(configJson, reason)) return nullptr;
  return adapter;
}

std::string IdentityAdapter::call(int32_t (*fn)(void*, pc_string, pc_buffer*), const std::string& input, bool& ok) {
  std::string out;
  pc_buffer buffer = bufferFor(out);
  int32_t status = PC_ERROR;
  try {
    status = fn(instance(), view(input), &buffer);
  } catch (...) {
    out.clear();
  }
  ok = status == PC_OK;
  return out;
}

std::string IdentityAdapter::loginForm(const json::ObjectPtr& context) {
  bool ok = false;
  std::string html = call(descriptor()->identity->login_form, json::stringify(context), ok);
  if (!ok) {
    log(PC_LOG_ERROR, "login_form failed: " + html.substr(0, 200));
    return "<p class=\"error\">Sign-in is not available right now.</p>";
  }
  return html;
}

oauth::Authentication IdentityAdapter::authenticate(const json::ObjectPtr& fields) {
  bool ok = false;
  const std::string out = call(descriptor()->identity->authenticate, json::stringify(fields), ok);
  oauth::Authentication result;
  result.message = "Sign-in is not available right now.";
  if (!ok) {
    log(PC_LOG_ERROR, "authenticate failed: " + out.substr(0, 200));
    return result;
  }
  try {
    json::ObjectPtr o = json::parseObject(out);
    const std::string status = json::getString(o, "status").value_or("");
    if (status == "ok" && json::getString(o, "username")) {
      result.ok = true;
      result.username = *json::getString(o, "username");
      result.name = json::getString(o, "name").value_or("");
      result.email = json::getString(o, "email").value_or("");
      result.message.clear();
    } else {
      result.message = json::getString(o, "message").value_or("Sign-in failed.");
    }
  } catch (const json::ParseError&) {
    log(PC_LOG_ERROR, "authenticate returned invalid JSON");
  }
  return result;
}

json::ObjectPtr IdentityAdapter::admin(const json::ObjectPtr& command) {
  bool ok = false;
  const std::string out = call(descriptor()->identity->admin, json::stringify(command), ok);
  json::ObjectPtr parsed;
  try {
    parsed = json::parseObject(out.empty() ? "{}" : out);
  } catch (const json::ParseError&) {
    throw std::runtime_error("the identity plugin answered with invalid JSON");
  }
  if (!ok) throw std::runtime_error(json::getString(parsed, "message").value_or("the identity plugin refused"));
  return parsed;
}

}  // namespace portcullis::plugin_host
