// An SDK plugin whose constructor throws. The SDK's create() must catch the
// exception at the boundary and return PC_ERROR with its message, so the host
// reports the reason and exits 78 instead of unwinding through C.
//
// config.throw selects what is thrown: "std" (default) a std::runtime_error,
// "other" a value that is not a std::exception.

#include <stdexcept>
#include <string>

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

constexpr const char* kConfigSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {"throw": {"enum": ["std", "other"]}}
})";

class Throwing : public PrimitiveProvider {
 public:
  Throwing(const Json& config, Host host) : PrimitiveProvider(host) {
    if (config.value("throw", std::string("std")) == "other") throw 42;
    throw std::runtime_error("sdk fake refuses to start: no credentials configured");
  }
};

}  // namespace

PORTCULLIS_PLUGIN(Throwing, PC_KIND_PRIMITIVES, "sdk_throwing_ctor", "0.0.1", kConfigSchema)
