#pragma once
// The one catalog of tools, resources, templates and prompts that clients see,
// merged from every provider in declaration order. Snapshots are immutable, so
// a request reads one consistent view while providers change underneath.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/common/json.hpp"
#include "core/common/json_schema.hpp"
#include "core/mcp/provider.hpp"
#include "core/mcp/uri_template.hpp"

namespace portcullis::mcp {

// A tool parameter mirrored into an Mcp-Param-{header} request header
// (2026-07-28, x-mcp-header in the tool's inputSchema).
struct HeaderParam {
  std::vector<std::string> path;  // properties keys from the schema root
  std::string header;             // the {name} part
};

struct CatalogEntry {
  std::string key;  // tool/prompt name, resource URI or URI template
  json::ObjectPtr definition;
  std::string definitionJson;  // serialised once, for list results
  std::shared_ptr<PrimitiveProvider> provider;
  std::shared_ptr<common::JsonSchema> inputSchema;       // tools only
  std::shared_ptr<UriTemplate> uriTemplate;              // templates only
  // tools only: "forbidden", "optional" or "required", from the plugin's
  // execution.taskSupport (which is not shown to clients).
  std::string taskSupport = "forbidden";
  std::vector<HeaderParam> headerParams;  // tools only
  // Marked admin-only by its plugin (_meta "portcullis/adminOnly": true):
  // only the admin role may use it, whatever the policy says.
  bool adminOnly = false;
};

inline constexpr const char* kAdminOnlyMeta = "portcullis/adminOnly";

class CatalogView {
 public:
  std::vector<CatalogEntry> tools, resources, templates, prompts;
  uint64_t generation = 0;

  const CatalogEntry* tool(const std::string& name) const;
  const CatalogEntry* resource(const std::string& uri) const;
  const CatalogEntry* templateFor(const std::string& uri) const;
  const CatalogEntry* prompt(const std::string& name) const;
  const std::vector<CatalogEntry>& entries(ListKind kind) const;

  void index();

 private:
  std::unordered_map<std::string, size_t> toolIndex_, resourceIndex_, promptIndex_;
};

class Catalog {
 public:
  ~Catalog();
  void addProvider(std::shared_ptr<PrimitiveProvider> provider);
  std::vector<std::shared_ptr<PrimitiveProvider>> providers() const;

  // The current view, rebuilt from providers whose lists changed.
  std::shared_ptr<const CatalogView> view();
  // The view as last built, without asking any provider (null before the
  // first view()).
  std::shared_ptr<const CatalogView> lastView() const;
  // Marks lists (a ListKind bit mask) of one provider as changed.
  void invalidate(const PrimitiveProvider& provider, uint32_t lists);

 private:
  struct Source {
    std::shared_ptr<PrimitiveProvider> provider;
    json::ArrayPtr lists[4];
    uint32_t stale = 0xF;
  };
  std::shared_ptr<CatalogView> build(const std::vector<Source>& sources, uint64_t generation) const;

  mutable std::mutex mutex_;
  std::vector<Source> sources_;
  std::shared_ptr<const CatalogView> current_;
  uint64_t generation_ = 0;
  bool stale_ = true;
};

// The checks a definition must pass to be listed: one malformed tool makes a
// client's whole tools/list fail, so it is dropped (with a warning) instead.
std::string definitionProblem(ListKind kind, const json::ObjectPtr& definition);

// The x-mcp-header annotations of an inputSchema; sets `problem` when one
// breaks the rules (clients drop such a tool, so the catalog does too).
std::vector<HeaderParam> headerParamsOf(const json::ObjectPtr& inputSchema, std::string& problem);

}  // namespace portcullis::mcp
