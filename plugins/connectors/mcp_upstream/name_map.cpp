#include "name_map.hpp"

#include <set>
#include <stdexcept>

namespace portcullis::mcp_upstream {

NameMap::NameMap(const Settings& settings)
    : prefix_(settings.prefix),
      include_(settings.include),
      exclude_(settings.exclude),
      overrides_(settings.tools) {
  std::map<std::string, std::string> renamedFrom;
  for (const auto& [upstream, o] : overrides_) {
    if (!o.name) continue;
    auto [it, fresh] = renamedFrom.emplace(*o.name, upstream);
    if (!fresh) {
      throw std::invalid_argument("tools: \"" + it->second + "\" and \"" + upstream +
                                  "\" are both renamed to \"" + *o.name + "\"");
    }
  }
}

bool NameMap::selected(const std::string& upstreamName) const {
  bool in = false;
  for (const auto& g : include_) in = in || globMatch(g, upstreamName);
  if (!in) return false;
  for (const auto& g : exclude_) {
    if (globMatch(g, upstreamName)) return false;
  }
  return true;
}

std::string NameMap::externalTool(const std::string& upstreamName) const {
  auto it = overrides_.find(upstreamName);
  if (it != overrides_.end() && it->second.name) return prefix_ + *it->second.name;
  return prefix_ + upstreamName;
}

NameMap::Mapped NameMap::mapList(const Json& list, bool tools,
                                 std::map<std::string, std::string>& reverse) {
  Mapped out;
  std::map<std::string, std::string> fresh;
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
      out.warnings.push_back(std::string(tools ? "a tool" : "a prompt") +
                             " without a name was skipped");
      continue;
    }
    const std::string name = item["name"].get<std::string>();
    if (!selected(name)) continue;
    const std::string external = tools ? externalTool(name) : externalPrompt(name);
    if (auto clash = fresh.find(external); clash != fresh.end()) {
      out.warnings.push_back(std::string(tools ? "tool" : "prompt") + " \"" + name +
                             "\" hidden: \"" + clash->second + "\" is already listed as \"" +
                             external + "\"");
      continue;
    }
    fresh.emplace(external, name);
    Json definition = item;
    definition["name"] = external;
    if (tools) {
      auto o = overrides_.find(name);
      if (o != overrides_.end() && o->second.description)
        definition["description"] = *o->second.description;
    }
    out.definitions.push_back(std::move(definition));
  }
  reverse = std::move(fresh);
  return out;
}

NameMap::Mapped NameMap::mapTools(const Json& upstreamTools) {
  return mapList(upstreamTools, true, toolReverse_);
}

NameMap::Mapped NameMap::mapPrompts(const Json& upstreamPrompts) {
  return mapList(upstreamPrompts, false, promptReverse_);
}

std::string NameMap::upstreamTool(const std::string& external) const {
  auto it = toolReverse_.find(external);
  return it == toolReverse_.end() ? std::string() : it->second;
}

std::string NameMap::upstreamPrompt(const std::string& external) const {
  auto it = promptReverse_.find(external);
  return it == promptReverse_.end() ? std::string() : it->second;
}

}  // namespace portcullis::mcp_upstream
