// The mcp_upstream connector: federates one upstream MCP server (a stdio
// process or an HTTP endpoint) into the gateway's catalog.

#include <portcullis/sdk.hpp>

#include "linked_account.hpp"
#include "settings.hpp"
#include "upstream.hpp"

using namespace portcullis::sdk;

namespace portcullis::mcp_upstream {
namespace {

// Connector base the SDK does not have: a provider whose primitives all live
// upstream, so it overrides list() and invoke() wholesale.
class McpUpstream : public PrimitiveProvider {
 public:
  McpUpstream(const Json& config, Host host)
      : PrimitiveProvider(host), upstream_(connectorName(config), settingsWithHost(config, host), host) {
    upstream_.start();
  }

  Json list(uint32_t which) override { return upstream_.list(which); }

  Json health() override { return upstream_.health(); }

  Json invoke(const std::string& method, const Json& params, Call& call) override {
    return upstream_.invoke(method, params, call);
  }

 private:
  static Settings settingsWithHost(const Json& config, const Host& host) {
    Settings settings = parseSettings(config);
    linkAccounts(settings, host);
    return settings;
  }

  // The plugin does not learn its instance name, so messages to clients use
  // `label`, else what the upstream runs or where it lives.
  static std::string connectorName(const Json& config) {
    if (config.contains("label") && config["label"].is_string())
      return config["label"].get<std::string>();
    if (config.contains("url") && config["url"].is_string())
      return config["url"].get<std::string>();
    if (config.contains("command") && config["command"].is_string()) {
      if (config.contains("args")) return config["command"].get<std::string>();
      const auto words = splitCommandLine(config["command"].get<std::string>());
      return words.empty() ? "(stdio)" : words.front();
    }
    return "(unnamed)";
  }

  Upstream upstream_;
};

}  // namespace
}  // namespace portcullis::mcp_upstream

PORTCULLIS_PLUGIN(portcullis::mcp_upstream::McpUpstream, PC_KIND_CONNECTOR, "mcp_upstream", "1.0.0",
                  portcullis::mcp_upstream::kConfigSchema)
