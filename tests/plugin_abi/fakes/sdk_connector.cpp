// An SDK plugin of kind connector. Declared in YAML as `kind: connector` it
// loads and serves its tool; declared as `kind: primitives` the host must
// refuse it with a kind mismatch.

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

class Connector : public PrimitiveProvider {
 public:
  Connector(const Json&, Host host) : PrimitiveProvider(host) {
    addTool({{"name", "connector_ping"}, {"description", "Answers pong."}},
            [](const Json&, Call&) { return textResult("pong"); });
    // Who the backend would be told is calling.
    addTool({{"name", "connector_assertion"}, {"description", "Returns an identity assertion for a backend."}},
            [](const Json&, Call& call) { return textResult(call.identityAssertion("https://backend.example")); });
  }
};

}  // namespace

PORTCULLIS_PLUGIN(Connector, PC_KIND_CONNECTOR, "sdk_connector", "0.0.1",
                  R"({"type": "object", "additionalProperties": false})")
