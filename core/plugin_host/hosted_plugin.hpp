#pragma once
// One plugin instance and what the host gives it through pc_host: logging
// under the plugin's name, change notices, a key-value store in the
// server's database, and the services bound to one call. The adapters of
// each plugin kind derive from it.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/mcp/access.hpp"
#include "core/mcp/provider.hpp"
#include "core/storage/plugin_store.hpp"
#include "portcullis/plugin_abi.h"

// The opaque call handle of the ABI: the context of one request.
struct pc_call {
  portcullis::mcp::CallContext* context;
};

namespace portcullis::accounts {
class AccountLinks;
}

namespace portcullis::plugin_host {

// What the host lends plugins beyond their own instance. Null members make
// the services that need them fail.
struct HostServices {
  mcp::AuditSink* audit = nullptr;        // record_event
  accounts::AccountLinks* accounts = nullptr;  // declare_account, call_account_token
  std::function<std::string()> baseUrl;   // where this server is reached, for link pages
  // Without `accounts`: accept well-formed accounts without keeping them
  // (a plugin created only to be checked, on a configuration with sign-in).
  bool checkAccountsOnly = false;
};

class HostedPlugin {
 public:
  // keepAlive holds the library mapped for as long as the instance lives.
  // store may be null (no database): the store services then fail.
  HostedPlugin(std::string name, std::shared_ptr<const void> keepAlive, const pc_plugin* descriptor,
               std::unique_ptr<storage::PluginStore> store);
  virtual ~HostedPlugin();  // destroys the instance
  HostedPlugin(const HostedPlugin&) = delete;
  HostedPlugin& operator=(const HostedPlugin&) = delete;

  const pc_host* hostTable() const { return &host_; }
  const std::string& pluginName() const { return name_; }

  void log(int32_t level, std::string_view message) const;
  virtual void listChanged(uint32_t lists) {}
  virtual void resourceUpdated(const std::string& uri) {}
  storage::PluginStore* store() { return store_.get(); }
  // Set before the instance is created.
  void setServices(HostServices services) { services_ = std::move(services); }
  // record_event: false when there is no audit log or the event is malformed.
  bool recordEvent(std::string_view eventJson);
  // declare_account and call_account_token (PC_* status; `out` as the ABI says).
  int32_t declareAccount(std::string_view accountJson, std::string& error);
  // call null: a request no caller makes (see pc_host.call_account_token).
  int32_t accountToken(const mcp::CallContext* call, bool refresh, std::string& out);

 protected:
  // Runs the plugin's create; false with `reason` set when it refuses.
  bool createInstance(const std::string& configJson, std::string& reason);
  const pc_plugin* descriptor() const { return descriptor_; }
  void* instance() const { return instance_; }

 private:
  // Declared first: released last, after the instance is gone.
  std::shared_ptr<const void> keepAlive_;
  const pc_plugin* descriptor_;
  void* instance_ = nullptr;
  std::string name_;
  std::unique_ptr<storage::PluginStore> store_;
  HostServices services_;
  pc_host host_{};
};

// Helpers for adapters: an output buffer appending to a string.
pc_buffer bufferFor(std::string& target);
inline pc_string view(const std::string& s) { return pc_string{s.data(), s.size()}; }

}  // namespace portcullis::plugin_host
