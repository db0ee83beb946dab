#include "call_metadata.hpp"

namespace portcullis::mcp_upstream {

namespace {
constexpr const char* kProtocolPrefix = "io.modelcontextprotocol/";
constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";
constexpr const char* kLogLevelKey = "io.modelcontextprotocol/logLevel";
}  // namespace

Json upstreamParams(const Json& clientParams, bool modern) {
  Json out = clientParams.is_object() ? clientParams : Json::object();
  if (!modern) {
    out.erase("inputResponses");
    out.erase("requestState");
  }
  if (out.contains("_meta") && out["_meta"].is_object()) {
    Json meta = Json::object();
    for (const auto& [k, v] : out["_meta"].items()) {
      if (k.rfind(kProtocolPrefix, 0) != 0 && k != "progressToken") meta[k] = v;
    }
    if (meta.empty()) {
      out.erase("_meta");
    } else {
      out["_meta"] = meta;
    }
  }
  return out;
}

Json modernMeta(const Json& callInfo, const Json& clientParams) {
  Json capabilities = Json::object();
  Json clientInfo{{"name", "portcullis-mcp-upstream"}, {"version", "1.0.0"}};
  Json meta = Json::object();
  if (callInfo.is_object()) {
    capabilities = callInfo.value("clientCapabilities", Json::object());
    if (!capabilities.is_object()) capabilities = Json::object();
    if (capabilities.contains("extensions") && capabilities["extensions"].is_object()) {
      capabilities["extensions"].erase(kTasksExtension);
      if (capabilities["extensions"].empty()) capabilities.erase("extensions");
    }
    if (callInfo.contains("clientInfo") && callInfo["clientInfo"].is_object() &&
        !callInfo["clientInfo"].empty()) {
      clientInfo = callInfo["clientInfo"];
    }
    const Json clientMeta =
        clientParams.is_object() ? clientParams.value("_meta", Json::object()) : Json::object();
    if (clientMeta.is_object() && clientMeta.contains(kLogLevelKey)) {
      meta[kLogLevelKey] = clientMeta[kLogLevelKey];
    } else if (callInfo.value("protocolVersion", std::string()) != kModernVersion) {
      meta[kLogLevelKey] = "debug";  // a session client's level is applied by the gateway
    }
  }
  meta["io.modelcontextprotocol/protocolVersion"] = kModernVersion;
  meta["io.modelcontextprotocol/clientCapabilities"] = capabilities;
  meta["io.modelcontextprotocol/clientInfo"] = clientInfo;
  return meta;
}

}  // namespace portcullis::mcp_upstream
