#include <gtest/gtest.h>

#include "call_metadata.hpp"

using namespace portcullis::mcp_upstream;

namespace {
const Json kClientParams{{"name", "t"},
                         {"arguments", {{"x", 1}}},
                         {"inputResponses", {{"k", {{"action", "accept"}}}}},
                         {"requestState", "opaque"},
                         {"_meta",
                          {{"progressToken", "client-token"},
                           {"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                           {"io.modelcontextprotocol/logLevel", "warning"},
                           {"app/trace", "abc"}}}};
}  // namespace

TEST(UpstreamParams, ASessionUpstreamGetsNoRoundTripFields) {
  const Json out = upstreamParams(kClientParams, false);
  EXPECT_FALSE(out.contains("inputResponses"));
  EXPECT_FALSE(out.contains("requestState"));
  EXPECT_EQ(out["arguments"], kClientParams["arguments"]);
  EXPECT_EQ(out["_meta"], (Json{{"app/trace", "abc"}}));  // application metadata passes
}

TEST(UpstreamParams, AModernUpstreamGetsTheRetryAsSent) {
  const Json out = upstreamParams(kClientParams, true);
  EXPECT_EQ(out["inputResponses"], kClientParams["inputResponses"]);
  EXPECT_EQ(out["requestState"], "opaque");
  EXPECT_FALSE(out["_meta"].contains("progressToken"));
  EXPECT_FALSE(out["_meta"].contains("io.modelcontextprotocol/protocolVersion"));
}

TEST(UpstreamParams, NoMetaLeftMeansNoMeta) {
  const Json out = upstreamParams(Json{{"uri", "a://b"}, {"_meta", {{"progressToken", 1}}}}, false);
  EXPECT_EQ(out, (Json{{"uri", "a://b"}}));
  EXPECT_EQ(upstreamParams(Json(), true), Json::object());
}

TEST(ModernMeta, TheConnectorsOwnRequests) {
  const Json meta = modernMeta(Json(), Json());
  EXPECT_EQ(meta["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
  EXPECT_EQ(meta["io.modelcontextprotocol/clientCapabilities"], Json::object());
  EXPECT_EQ(meta["io.modelcontextprotocol/clientInfo"]["name"], "portcullis-mcp-upstream");
  EXPECT_FALSE(meta.contains("io.modelcontextprotocol/logLevel"));
}

TEST(ModernMeta, TheCallersCapabilitiesWithoutTasks) {
  const Json info{{"protocolVersion", "2026-07-28"},
                  {"clientInfo", {{"name", "client"}, {"version", "2"}}},
                  {"clientCapabilities",
                   {{"sampling", Json::object()},
                    {"extensions", {{"io.modelcontextprotocol/tasks", Json::object()}}}}}};
  const Json meta = modernMeta(info, kClientParams);
  EXPECT_EQ(meta["io.modelcontextprotocol/clientCapabilities"],
            (Json{{"sampling", Json::object()}}));
  EXPECT_EQ(meta["io.modelcontextprotocol/clientInfo"]["name"], "client");
  EXPECT_EQ(meta["io.modelcontextprotocol/logLevel"], "warning");  // the client's own
}

TEST(ModernMeta, ASessionCallerGetsEveryLevelForTheGatewayToFilter) {
  const Json info{{"protocolVersion", "2025-11-25"}, {"clientCapabilities", Json::object()}};
  const Json meta = modernMeta(info, Json{{"name", "t"}});
  EXPECT_EQ(meta["io.modelcontextprotocol/logLevel"], "debug");
  const Json modernWithoutLevel =
      modernMeta(Json{{"protocolVersion", "2026-07-28"}}, Json::object());
  EXPECT_FALSE(modernWithoutLevel.contains("io.modelcontextprotocol/logLevel"));
}
