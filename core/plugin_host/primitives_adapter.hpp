#pragma once
// An instance of a primitives or connector plugin, seen by the core as an
// mcp::PrimitiveProvider. Everything crossing the C ABI is JSON text; the
// host functions the plugin calls back are implemented here too.

#include <memory>
#include <string>

#include "core/mcp/provider.hpp"
#include "portcullis/plugin_abi.h"

namespace portcullis::plugin_host {

class PrimitivesAdapter : public mcp::PrimitiveProvider {
 public:
  // Creates the plugin instance; nullptr with `reason` set when it refuses.
  // keepAlive holds the library mapped for as long as the instance lives.
  static std::shared_ptr<PrimitivesAdapter> create(const std::string& name,
                                                   std::shared_ptr<const void> keepAlive,
                                                   const pc_plugin* descriptor,
                                                   const std::string& configJson,
                                                   mcp::ChangeSink* changes, std::string& reason);
  ~PrimitivesAdapter() override;

  const std::string& name() const override { return name_; }
  mcp::json::ArrayPtr list(mcp::ListKind kind) override;
  mcp::Outcome invoke(const std::string& method, const mcp::json::ObjectPtr& params,
                      mcp::CallContext& context) override;

  // Host services, reached from the plugin through pc_host.
  void hostLog(int32_t level, std::string_view message) const;
  void hostListChanged(uint32_t lists);
  void hostResourceUpdated(const std::string& uri);

 private:
  PrimitivesAdapter(std::string name, std::shared_ptr<const void> keepAlive,
                    const pc_plugin* descriptor, mcp::ChangeSink* changes);

  // Declared first: destroyed last, after the instance is gone.
  std::shared_ptr<const void> keepAlive_;
  std::string name_;
  const pc_plugin* descriptor_;
  mcp::ChangeSink* changes_;
  pc_host host_{};
  void* instance_ = nullptr;
};

}  // namespace portcullis::plugin_host
