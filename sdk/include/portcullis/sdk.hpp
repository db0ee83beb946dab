#pragma once
// The Portcullis plugin SDK: include this one header.
//
//   #include <portcullis/sdk.hpp>
//   using namespace portcullis::sdk;
//
//   class Hello : public PrimitiveProvider {
//    public:
//     Hello(const Json& config, Host host) : PrimitiveProvider(host) {
//       addTool({{"name", "hello"}, {"description", "Says hello"}},
//               [](const Json&, Call&) { return textResult("hello"); });
//     }
//   };
//   PORTCULLIS_PLUGIN(Hello, PC_KIND_PRIMITIVES, "hello", "1.0.0", R"({"type":"object"})")

#include "portcullis/plugin_abi.h"
#include "portcullis/sdk/call.hpp"
#include "portcullis/sdk/content.hpp"
#include "portcullis/sdk/entry.hpp"
#include "portcullis/sdk/errors.hpp"
#include "portcullis/sdk/glob.hpp"
#include "portcullis/sdk/identity.hpp"
#include "portcullis/sdk/pins.hpp"
#include "portcullis/sdk/provider.hpp"
