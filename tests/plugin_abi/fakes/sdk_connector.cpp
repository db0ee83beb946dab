// An SDK plugin of kind connector. Declared in YAML as `kind: connector` it
// loads and serves its tool; declared as `kind: primitives` the host must
// refuse it with a kind mismatch. Its health report is whatever its config's
// `health` says (any JSON value, so hostile reports can be tried), and
// nothing when unset.

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

class Connector : public PrimitiveProvider {
 public:
  Connector(const Json& config, Host host) : PrimitiveProvider(host), health_(config.value("health", Json())) {
    addTool({{"name", "connector_ping"}, {"description", "Answers pong."}},
            [](const Json&, Call&) { return textResult("pong"); });
    // Who the backend would be told is calling.
    addTool({{"name", "connector_assertion"}, {"description", "Returns an identity assertion for a backend."}},
            [](const Json&, Call& call) { return textResult(call.identityAssertion("https://backend.example")); });
  }

  Json health() override { return health_; }

 private:
  Json health_;
};

}  // namespace

PORTCULLIS_PLUGIN(Connector, PC_KIND_CONNECTOR, "sdk_connector", "0.0.1",
                  R"({"type": "object", "additionalProperties": false, "properties": {"health": {}}})")
