#pragma once
// Tools the core serves itself, listed before any plugin's.

#include <functional>
#include <memory>
#include <string>

#include "core/mcp/catalog.hpp"
#include "core/mcp/provider.hpp"

namespace portcullis::mcp {

class BuiltinTools : public PrimitiveProvider {
 public:
  // visibleTools: how many tools a principal can see (the whole catalog
  // when not given).
  explicit BuiltinTools(Catalog& catalog, std::function<size_t(const Principal&)> visibleTools = {});

  const std::string& name() const override { return name_; }
  json::ArrayPtr list(ListKind kind) override;
  Outcome invoke(const std::string& method, const json::ObjectPtr& params,
                 CallContext& context) override;

 private:
  Outcome whoami(CallContext& context);

  std::string name_ = "core";
  Catalog& catalog_;
  std::function<size_t(const Principal&)> visibleTools_;
  json::ObjectPtr whoamiDefinition_;
};

}  // namespace portcullis::mcp
