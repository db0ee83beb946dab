// An SDK plugin of kind connector. Declared in YAML as `kind: connector` it
// loads and serves its tool; declared as `kind: primitives` the host must
// refuse it with a kind mismatch. Its health report is whatever its config's
// `health` says (any JSON value, so hostile reports can be tried), and
// nothing when unset. `upstream` stands for what an upstream would list:
// {tool name: definition hash}, each admitted through DefinitionPins (with
// `hide_changed`).

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

class Connector : public PrimitiveProvider {
 public:
  Connector(const Json& config, Host host)
      : PrimitiveProvider(host),
        health_(config.value("health", Json())),
        upstream_(config.value("upstream", Json::object())),
        pins_(host, config.value("hide_changed", false)) {
    addTool({{"name", "connector_ping"}, {"description", "Answers pong."}},
            [](const Json&, Call&) { return textResult("pong"); });
    // Who the backend would be told is calling.
    addTool({{"name", "connector_assertion"}, {"description", "Returns an identity assertion for a backend."}},
            [](const Json&, Call& call) { return textResult(call.identityAssertion("https://backend.example")); });
  }

  Json health() override { return health_; }

  Json list(uint32_t which) override {
    Json out = PrimitiveProvider::list(which);
    if (which != PC_LIST_TOOLS) return out;
    for (const auto& [name, hash] : upstream_.items()) {
      if (pins_.admit("tool", name, hash.get<std::string>())) {
        out.push_back({{"name", name}, {"description", "An upstream tool"}, {"inputSchema", {{"type", "object"}}}});
      }
    }
    return out;
  }

 private:
  Json health_;
  Json upstream_;
  DefinitionPins pins_;
};

}  // namespace

PORTCULLIS_PLUGIN(Connector, PC_KIND_CONNECTOR, "sdk_connector", "0.0.1",
                  R"({"type": "object", "additionalProperties": false, "properties": {"health": {},
                     "upstream": {"type": "object", "additionalProperties": {"type": "string"}},
                     "hide_changed": {"type": "boolean"}}})")
