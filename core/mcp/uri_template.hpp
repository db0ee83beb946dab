#pragma once
// URI template matching for routing resources/read and completion to the
// provider that owns a template. The matcher itself is the SDK's
// dependency-free one, so the server and plugins agree on every match.

#include "portcullis/sdk/uri_template.hpp"

namespace portcullis::mcp {

using UriTemplate = portcullis::sdk::UriTemplate;

}  // namespace portcullis::mcp
