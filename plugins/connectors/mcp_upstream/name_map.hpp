#pragma once
// How the upstream's tool and prompt names become the gateway's: the
// include/exclude globs pick names (before renaming), per-tool overrides
// rename and re-describe, and the prefix goes in front. Resource URIs are
// global and pass through untouched.

#include <map>
#include <string>
#include <vector>

#include <portcullis/sdk/glob.hpp>

#include "settings.hpp"

namespace portcullis::mcp_upstream {

// Shell-style glob: '*' any run of characters, '?' one character.
using sdk::globMatch;

class NameMap {
 public:
  // Throws std::invalid_argument when two overrides give the same name.
  explicit NameMap(const Settings& settings);

  struct Mapped {
    Json definitions = Json::array();
    std::vector<std::string> warnings;  // definitions hidden, and why
  };

  // Maps an upstream tools/list or prompts/list array (already checked to be
  // an array); remembers the external names for the reverse lookup.
  Mapped mapTools(const Json& upstreamTools);
  Mapped mapPrompts(const Json& upstreamPrompts);

  // The upstream's name for an external one, or empty when unknown.
  std::string upstreamTool(const std::string& external) const;
  std::string upstreamPrompt(const std::string& external) const;

  bool selected(const std::string& upstreamName) const;
  std::string externalTool(const std::string& upstreamName) const;
  std::string externalPrompt(const std::string& upstreamName) const {
    return prefix_ + upstreamName;
  }

 private:
  Mapped mapList(const Json& list, bool tools, std::map<std::string, std::string>& reverse);

  std::string prefix_;
  std::vector<std::string> include_;
  std::vector<std::string> exclude_;
  std::map<std::string, ToolOverride> overrides_;
  std::map<std::string, std::string> toolReverse_;
  std::map<std::string, std::string> promptReverse_;
};

}  // namespace portcullis::mcp_upstream
