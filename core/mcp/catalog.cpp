#include "core/mcp/catalog.hpp"

#include <cctype>
#include <algorithm>
#include <set>

#include "core/common/log.hpp"
#include "core/common/text.hpp"

namespace portcullis::mcp {

namespace {

int slot(ListKind kind) { return static_cast<int>(listIndex(kind)); }

const char* keyField(ListKind kind) {
  switch (kind) {
    case ListKind::Resources:
      return "uri";
    case ListKind::ResourceTemplates:
      return "uriTemplate";
    default:
      return "name";
  }
}

const char* kindName(ListKind kind) {
  switch (kind) {
    case ListKind::Tools:
      return "tool";
    case ListKind::Resources:
      return "resource";
    case ListKind::ResourceTemplates:
      return "resource template";
    case ListKind::Prompts:
      return "prompt";
  }
  return "entry";
}

bool objectSchema(const json::ObjectPtr& definition, const char* field) {
  auto schema = json::getObject(definition, field);
  return schema && json::getString(schema, "type") == std::optional<std::string>("object");
}

}  // namespace

std::string definitionProblem(ListKind kind, const json::ObjectPtr& definition) {
  if (!definition) return "not a JSON object";
  auto key = json::getString(definition, keyField(kind));
  if (!key || key->empty()) return std::string("missing \"") + keyField(kind) + "\"";
  if (kind == ListKind::Tools) {
    const bool validName = key->size() <= 128 && std::all_of(key->begin(), key->end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '/' || c == '-';
    });
    if (!validName) return "tool name \"" + key->substr(0, 140) + "\" is not allowed";
    if (!objectSchema(definition, "inputSchema")) return "inputSchema must be an object schema";
    if (definition->has("outputSchema") && !objectSchema(definition, "outputSchema")) {
      return "outputSchema must be an object schema";
    }
  }
  if ((kind == ListKind::Resources || kind == ListKind::ResourceTemplates) &&
      !json::getString(definition, "name")) {
    return "missing \"name\"";
  }
  return {};
}

namespace {

bool isToken(const std::string& s) {
  static const std::string extra = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && extra.find(static_cast<char>(c)) == std::string::npos) return false;
  }
  return true;
}

// Annotations reachable through "properties" only; anything under other
// keywords is an error.
void collectHeaders(const json::Value& schema, std::vector<std::string>& path, bool reachable,
                    std::vector<HeaderParam>& out, std::string& problem) {
  auto object = json::asObject(schema);
  if (!object || !problem.empty()) return;
  if (object->has("x-mcp-header")) {
    auto header = json::getString(object, "x-mcp-header");
    auto type = json::getString(object, "type").value_or("");
    if (!reachable || path.empty()) {
      problem = "x-mcp-header is only allowed on properties reachable through \"properties\"";
    } else if (!header || !isToken(*header)) {
      problem = "x-mcp-header must be an HTTP token";
    } else if (type != "string" && type != "integer" && type != "boolean") {
      problem = "x-mcp-header is only allowed on string, integer or boolean parameters";
    } else {
      for (const auto& h : out) {
        if (common::iequals(h.header, *header)) problem = "x-mcp-header values must be unique";
      }
      out.push_back({path, *header});
    }
  }
  std::vector<std::string> keys;
  object->getNames(keys);
  for (const auto& key : keys) {
    const json::Value& child = object->get(key);
    if (key == "properties") {
      if (auto props = json::asObject(child)) {
        std::vector<std::string> names;
        props->getNames(names);
        for (const auto& name : names) {
          path.push_back(name);
          collectHeaders(props->get(name), path, reachable, out, problem);
          path.pop_back();
        }
      }
    } else if (json::isObject(child)) {
      collectHeaders(child, path, false, out, problem);
    } else if (auto array = json::asArray(child)) {
      for (const auto& item : *array) collectHeaders(item, path, false, out, problem);
    }
  }
}

}  // namespace

std::vector<HeaderParam> headerParamsOf(const json::ObjectPtr& inputSchema, std::string& problem) {
  std::vector<HeaderParam> out;
  std::vector<std::string> path;
  problem.clear();
  collectHeaders(json::Value(inputSchema), path, true, out, problem);
  return out;
}

const CatalogEntry* CatalogView::tool(const std::string& name) const {
  auto it = toolIndex_.find(name);
  return it == toolIndex_.end() ? nullptr : &tools[it->second];
}

const CatalogEntry* CatalogView::resource(const std::string& uri) const {
  auto it = resourceIndex_.find(uri);
  return it == resourceIndex_.end() ? nullptr : &resources[it->second];
}

const CatalogEntry* CatalogView::templateFor(const std::string& uri) const {
  for (const auto& t : templates) {
    if (t.uriTemplate && t.uriTemplate->matches(uri)) return &t;
  }
  return nullptr;
}

const CatalogEntry* CatalogView::prompt(const std::string& name) const {
  auto it = promptIndex_.find(name);
  return it == promptIndex_.end() ? nullptr : &prompts[it->second];
}

const std::vector<CatalogEntry>& CatalogView::entries(ListKind kind) const {
  switch (kind) {
    case ListKind::Tools:
      return tools;
    case ListKind::Resources:
      return resources;
    case ListKind::ResourceTemplates:
      return templates;
    case ListKind::Prompts:
      return prompts;
  }
  return tools;
}

void CatalogView::index() {
  toolIndex_.clear();
  resourceIndex_.clear();
  promptIndex_.clear();
  for (size_t i = 0; i < tools.size(); ++i) toolIndex_[tools[i].key] = i;
  for (size_t i = 0; i < resources.size(); ++i) resourceIndex_[resources[i].key] = i;
  for (size_t i = 0; i < prompts.size(); ++i) promptIndex_[prompts[i].key] = i;
}

Catalog::~Catalog() {
  // Providers created last go first.
  current_.reset();
  while (!sources_.empty()) sources_.pop_back();
}

void Catalog::addProvider(std::shared_ptr<PrimitiveProvider> provider) {
  std::lock_guard lock(mutex_);
  sources_.push_back(Source{std::move(provider), {}, 0xF});
  stale_ = true;
}

std::vector<std::shared_ptr<PrimitiveProvider>> Catalog::providers() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<PrimitiveProvider>> out;
  for (const auto& s : sources_) out.push_back(s.provider);
  return out;
}

void Catalog::invalidate(const PrimitiveProvider& provider, uint32_t lists) {
  std::lock_guard lock(mutex_);
  for (auto& s : sources_) {
    if (s.provider.get() == &provider) s.stale |= lists;
  }
  stale_ = true;
}

std::shared_ptr<const CatalogView> Catalog::lastView() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::shared_ptr<const CatalogView> Catalog::view() {
  std::vector<Source> sources;
  uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (!stale_ && current_) return current_;
    sources = sources_;
    for (auto& s : sources_) s.stale = 0;
    stale_ = false;
    generation = ++generation_;
  }
  // Providers are asked outside the lock: a provider may report a change
  // while it lists, which only marks the catalog stale again.
  auto& log = common::logger("catalog");
  for (auto& source : sources) {
    for (ListKind kind : kListKinds) {
      const int i = slot(kind);
      if ((source.stale & static_cast<uint32_t>(kind)) == 0 && source.lists[i]) continue;
      try {
        source.lists[i] = source.provider->list(kind);
      } catch (const std::exception& e) {
        log.warning("%s: listing %ss failed: %s", source.provider->name(),
                    std::string(kindName(kind)), std::string(e.what()));
        source.lists[i] = json::makeArray();
      }
    }
  }
  std::shared_ptr<CatalogView> view = build(sources, generation);
  std::lock_guard lock(mutex_);
  for (auto& s : sources_) {
    for (auto& fresh : sources) {
      if (fresh.provider == s.provider) {
        for (int i = 0; i < 4; ++i) {
          if ((s.stale & (1u << i)) == 0) s.lists[i] = fresh.lists[i];
        }
      }
    }
  }
  if (!current_ || current_->generation < view->generation) current_ = view;
  return current_;
}

std::shared_ptr<CatalogView> Catalog::build(const std::vector<Source>& sources,
                                            uint64_t generation) const {
  auto view = std::make_shared<CatalogView>();
  view->generation = generation;
  auto& log = common::logger("catalog");
  for (ListKind kind : kListKinds) {
    std::set<std::string> seen;
    auto& target = const_cast<std::vector<CatalogEntry>&>(view->entries(kind));
    for (const auto& source : sources) {
      const auto& array = source.lists[slot(kind)];
      if (!array) continue;
      for (const auto& item : *array) {
        json::ObjectPtr definition = json::asObject(item);
        if (const std::string problem = definitionProblem(kind, definition); !problem.empty()) {
          log.warning("%s: %s skipped: %s", source.provider->name(), std::string(kindName(kind)),
                      problem);
          continue;
        }
        const std::string key = *json::getString(definition, keyField(kind));
        std::vector<HeaderParam> headerParams;
        if (kind == ListKind::Tools) {
          std::string headerProblem;
          headerParams = headerParamsOf(json::getObject(definition, "inputSchema"), headerProblem);
          if (!headerProblem.empty()) {
            log.warning("%s: tool \"%s\" skipped: %s", source.provider->name(), key, headerProblem);
            continue;
          }
        }
        if (!seen.insert(key).second) {
          log.warning("%s: %s \"%s\" is already served by another plugin; skipped",
                      source.provider->name(), std::string(kindName(kind)), key);
          continue;
        }
        CatalogEntry entry;
        entry.key = key;
        entry.headerParams = std::move(headerParams);
        if (kind == ListKind::Tools && definition->has("execution")) {
          // Task support is the server's business under the tasks extension;
          // the 2025-11-25 field would promise clients a task API they
          // cannot use, so it stays out of listings.
          entry.taskSupport = json::getString(json::getObject(definition, "execution"), "taskSupport")
                                  .value_or("forbidden");
          definition = json::clone(definition);
          definition->remove("execution");
        }
        if (auto marks = json::getObject(definition, "_meta"); marks && marks->has(kAdminOnlyMeta)) {
          // The mark is for the gateway's policy, not for clients.
          entry.adminOnly = json::getBool(marks, kAdminOnlyMeta).value_or(false);
          definition = json::clone(definition);
          auto meta = json::clone(json::getObject(definition, "_meta"));
          meta->remove(kAdminOnlyMeta);
          if (meta->size() == 0) {
            definition->remove("_meta");
          } else {
            definition->set("_meta", meta);
          }
        }
        entry.definition = definition;
        entry.definitionJson = json::stringify(definition);
        entry.provider = source.provider;
        if (kind == ListKind::Tools) {
          entry.inputSchema =
              std::make_shared<common::JsonSchema>(json::Value(json::getObject(definition, "inputSchema")));
        }
        if (kind == ListKind::ResourceTemplates) {
          try {
            entry.uriTemplate = std::make_shared<UriTemplate>(key);
          } catch (const std::exception&) {
            log.warning("%s: resource template \"%s\" cannot be parsed; skipped",
                        source.provider->name(), key);
            continue;
          }
        }
        target.push_back(std::move(entry));
      }
    }
  }
  view->index();
  return view;
}

}  // namespace portcullis::mcp
