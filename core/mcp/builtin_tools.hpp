#pragma once
// Tools the core serves itself, listed before any plugin's.

#include <memory>
#include <string>

#include "core/mcp/catalog.hpp"
#include "core/mcp/provider.hpp"

namespace portcullis::mcp {

class BuiltinTools : public PrimitiveProvider {
 public:
  explicit BuiltinTools(Catalog& catalog);

  const std::string& name() const override { return name_; }
  json::ArrayPtr list(ListKind kind) override;
  Outcome invoke(const std::string& method, const json::ObjectPtr& params,
                 CallContext& context) override;

 private:
  Outcome whoami(CallContext& context);

  std::string name_ = "core";
  Catalog& catalog_;
  json::ObjectPtr whoamiDefinition_;
};

}  // namespace portcullis::mcp
