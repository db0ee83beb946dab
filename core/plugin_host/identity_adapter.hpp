#pragma once
// An instance of an identity plugin, seen by the authorization server as an
// oauth::IdentityProvider.

#include <memory>
#include <string>

#include "core/oauth/identity.hpp"
#include "core/plugin_host/hosted_plugin.hpp"

namespace portcullis::plugin_host {

class IdentityAdapter : public oauth::IdentityProvider, public HostedPlugin {
 public:
  static std::shared_ptr<IdentityAdapter> create(const std::string& name, std::shared_ptr<const void> keepAlive,
                                                 const pc_plugin* descriptor, const std::string& configJson,
                                                 std::unique_ptr<storage::PluginStore> store, std::string& reason);

  const std::string& name() const override { return pluginName(); }
  std::string loginForm(const oauth::json::ObjectPtr& context) override;
  oauth::Authentication authenticate(const oauth::json::ObjectPtr& fields) override;
  oauth::json::ObjectPtr admin(const oauth::json::ObjectPtr& command) override;

 private:
  IdentityAdapter(std::string name, std::shared_ptr<const void> keepAlive, const pc_plugin* descriptor,
                  std::unique_ptr<storage::PluginStore> store);
  std::string call(int32_t (*fn)(void*, pc_string, pc_buffer*), const std::string& input, bool& ok);
};

}  // namespace portcullis::plugin_host
