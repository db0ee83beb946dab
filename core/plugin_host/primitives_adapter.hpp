#pragma once
// An instance of a primitives or connector plugin, seen by the core as an
// mcp::PrimitiveProvider. Everything crossing the C ABI is JSON text.

#include <memory>
#include <string>

#include "core/mcp/provider.hpp"
#include "core/plugin_host/hosted_plugin.hpp"

namespace portcullis::plugin_host {

class PrimitivesAdapter : public mcp::PrimitiveProvider, public HostedPlugin {
 public:
  // Creates the plugin instance; nullptr with `reason` set when it refuses.
  static std::shared_ptr<PrimitivesAdapter> create(const std::string& name, std::shared_ptr<const void> keepAlive,
                                                   const pc_plugin* descriptor, const std::string& configJson,
                                                   mcp::ChangeSink* changes,
                                                   std::unique_ptr<storage::PluginStore> store, std::string& reason,
                                                   const HostServices& services = {});

  const std::string& name() const override { return pluginName(); }
  mcp::json::ArrayPtr list(mcp::ListKind kind) override;
  mcp::Outcome invoke(const std::string& method, const mcp::json::ObjectPtr& params,
                      mcp::CallContext& context) override;

  // The plugin's own report, checked to be an object with a known status;
  // a malformed report reads as down.
  mcp::json::ObjectPtr health() override;

  void listChanged(uint32_t lists) override;
  void resourceUpdated(const std::string& uri) override;

 private:
  PrimitivesAdapter(std::string name, std::shared_ptr<const void> keepAlive, const pc_plugin* descriptor,
                    mcp::ChangeSink* changes, std::unique_ptr<storage::PluginStore> store);

  mcp::ChangeSink* changes_;
};

}  // namespace portcullis::plugin_host
