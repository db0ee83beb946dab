// Plugins behind a real gateway, in process on 127.0.0.1 and a free port:
// the demo's tools are callable over HTTP; a plugin whose lists are broken
// leaves the server up and simply contributes nothing; a plugin whose
// invoke() returns garbage costs one JSON-RPC internal error, not the server.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/common/error.hpp"
#include "core/common/json.hpp"
#include "core/oauth/api_token_store.hpp"
#include "core/oauth/jwt.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/storage/database.hpp"
#include "tests/plugin_abi/abi_fixtures.hpp"
#include "tests/plugin_abi/mcp_session.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_gateway.hpp"

namespace portcullis::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
namespace json = common::json;

constexpr int kInternalError = -32603;

int errorCode(const json::ObjectPtr& response) {
  return static_cast<int>(json::getInt(json::getObject(response, "error"), "code").value_or(0));
}

std::string pluginEntry(const std::string& name, const std::string& kind, const std::string& target,
                        const std::string& config = "") {
  return "  - {name: " + name + ", kind: " + kind + ", library: " + pluginPath(target) +
         (config.empty() ? "" : ", config: " + config) + "}\n";
}

TEST(PluginGateway, DemoToolIsCallableOverHttp) {
  TestGateway gateway(
      "logging:\n  level: warning\n"
      "plugins:\n"
      "  - {name: demo, kind: primitives, library: demo}\n");
  McpSession session(gateway.port());
  EXPECT_THAT(session.toolNames(), IsSupersetOf({"demo_echo", "demo_get_time", "demo_get_help"}));

  const json::ObjectPtr reply = session.callTool("demo_echo", R"({"text":"through the plugin ABI: \u00e9 \"q\""})");
  ASSERT_TRUE(reply->has("result")) << json::stringify(reply);
  EXPECT_EQ(firstText(reply), "through the plugin ABI: \xc3\xa9 \"q\"");
  EXPECT_NE(json::getBool(json::getObject(reply, "result"), "isError").value_or(false), true);
}

TEST(PluginGateway, TheConfigReachesThePluginAsJson) {
  // Quotes and non-ASCII text survive YAML -> JSON text -> the plugin.
  TestGateway gateway(
      "logging:\n  level: warning\n"
      "plugins:\n"
      "  - name: demo\n"
      "    kind: primitives\n"
      "    library: demo\n"
      "    config:\n"
      "      greeting: \"Ahoy \\u00e9\\\"quoted\\\"\"\n");
  McpSession session(gateway.port());
  const json::ObjectPtr reply =
      session.request("prompts/get", json::parseObject(R"({"name":"demo_greeting","arguments":{"name":"Ada"}})"));
  const json::ArrayPtr messages = json::getArray(json::getObject(reply, "result"), "messages");
  ASSERT_TRUE(messages && messages->size() == 1) << json::stringify(reply);
  EXPECT_EQ(json::getString(json::getObject(messages->getObject(0), "content"), "text").value_or(""),
            "Ahoy \xc3\xa9\"quoted\" Please greet Ada warmly.");
}

TEST(PluginGateway, PureCAndConnectorPluginsServeTheirTools) {
  TestGateway gateway("logging:\n  level: warning\nplugins:\n" +
                      pluginEntry("pure_c", "primitives", "fake_invoke_results") +
                      pluginEntry("conn", "connector", "sdk_connector"));
  McpSession session(gateway.port());
  EXPECT_THAT(session.toolNames(), IsSupersetOf({"fake_ok", "connector_ping"}));
  EXPECT_EQ(firstText(session.callTool("fake_ok")), "fake ok");
  EXPECT_EQ(firstText(session.callTool("connector_ping")), "pong");
}

TEST(PluginGateway, BrokenListsLeaveTheServerUpAndListNothing) {
  // fake_list_invalid_json answers every list with truncated JSON;
  // fake_list_not_array with an object that would be a valid tool if it were
  // inside an array. Neither may stop the server or leak into the lists.
  TestGateway gateway("logging:\n  level: error\nplugins:\n" +
                      pluginEntry("demo", "primitives", "demo") +
                      pluginEntry("invalid_json", "primitives", "fake_list_invalid_json") +
                      pluginEntry("not_array", "primitives", "fake_list_not_array"));
  McpSession session(gateway.port());
  const auto tools = session.toolNames();
  EXPECT_THAT(tools, Contains("demo_echo"));
  EXPECT_THAT(tools, Not(Contains("fake_listed_broken")));
  EXPECT_THAT(tools, Not(Contains("fake_listed_object")));

  const json::ObjectPtr resources = session.request("resources/list", json::makeObject());
  ASSERT_TRUE(resources->has("result")) << json::stringify(resources);
  EXPECT_THAT(json::stringify(resources), Not(HasSubstr("fake://listed")));
  EXPECT_THAT(json::stringify(resources), HasSubstr("demo://readme"));

  const json::ObjectPtr prompts = session.request("prompts/list", json::makeObject());
  ASSERT_TRUE(prompts->has("result")) << json::stringify(prompts);
  EXPECT_THAT(json::stringify(prompts), HasSubstr("demo_greeting"));
  EXPECT_THAT(json::stringify(prompts), Not(HasSubstr("fake_listed")));

  // A tool the broken plugin could not list cannot be called either.
  const json::ObjectPtr call = session.callTool("fake_listed_object");
  EXPECT_TRUE(call->has("error")) << json::stringify(call);
  EXPECT_EQ(firstText(session.callTool("demo_echo", R"({"text":"still here"})")), "still here");
}

TEST(PluginGateway, InvalidInvokeResultsBecomeInternalErrorsAndTheServerKeepsRunning) {
  TestGateway gateway("logging:\n  level: critical\nplugins:\n" +
                      pluginEntry("demo", "primitives", "demo") +
                      pluginEntry("garbage", "primitives", "fake_invoke_results"));
  McpSession session(gateway.port());

  for (const char* tool : {"fake_invalid_json", "fake_not_object", "fake_bad_error"}) {
    SCOPED_TRACE(tool);
    const json::ObjectPtr reply = session.callTool(tool);
    ASSERT_TRUE(reply->has("error")) << json::stringify(reply);
    EXPECT_FALSE(reply->has("result"));
    EXPECT_EQ(errorCode(reply), kInternalError) << json::stringify(reply);
    EXPECT_TRUE(json::getString(json::getObject(reply, "error"), "message").has_value());
  }

  // The same plugin, the same session and another plugin all still work.
  EXPECT_EQ(firstText(session.callTool("fake_ok")), "fake ok");
  EXPECT_EQ(firstText(session.callTool("demo_echo", R"({"text":"after the garbage"})")), "after the garbage");
  McpSession another(gateway.port());
  EXPECT_EQ(firstText(another.callTool("demo_echo", R"({"text":"new session"})")), "new session");
  const HttpResult health = request(gateway.port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
}

TEST(PluginGateway, ABrokenPluginStopsTheGatewayFromBeingBuilt) {
  // What `serve` relies on to exit 78: the Gateway constructor throws the
  // host's ConfigError, and nothing is left listening.
  EXPECT_THROW(TestGateway("plugins:\n" + pluginEntry("demo", "primitives", "demo") +
                           pluginEntry("bad_magic", "primitives", "fake_bad_magic")),
               common::ConfigError);
  EXPECT_THROW(TestGateway("plugins:\n" + pluginEntry("throws", "primitives", "sdk_throwing_ctor")),
               common::ConfigError);
}


namespace identity_assertions {

// A plugin proves to its backend who is calling without the caller's token:
// the host signs a short-lived JWT for the backend's audience.
TEST(PluginGateway, IdentityAssertionsNameTheCallerForTheBackend) {
  auto gateway = TestGateway::withAuth();
  // withAuth's configuration plus the SDK connector.
  TestGateway withConnector(TestGateway::authConfig(gateway->dataDir()) +
                            pluginEntry("conn", "connector", "sdk_connector"));
  storage::Database db(storage::StorageOptions{gateway->dataDir() + "/portcullis.db"});
  oauth::UserDirectory users(db);
  oauth::ApiTokenStore tokens(db);
  const oauth::User ann = users.create("ann", "ann@example.com", "member", "builtin");
  oauth::ApiToken record;
  const std::string token = tokens.create(ann.id, "tools:read tools:call", std::chrono::hours(1), "t", record);

  McpSession session(withConnector.port(), "/mcp", token);
  const std::string jwt = firstText(session.callTool("connector_assertion"));
  auto decoded = oauth::decodeJwt(jwt);
  ASSERT_TRUE(decoded) << jwt;
  EXPECT_EQ(json::getString(decoded->header, "typ").value_or(""), "identity-assertion+jwt");
  const auto& claims = decoded->payload;
  EXPECT_EQ(json::getString(claims, "aud").value_or(""), "https://backend.example");
  EXPECT_EQ(json::getString(claims, "sub").value_or(""), ann.id);
  EXPECT_EQ(json::getString(claims, "preferred_username").value_or(""), "ann");
  EXPECT_EQ(json::getString(claims, "email").value_or(""), "ann@example.com");
  EXPECT_EQ(json::getString(claims, "scope").value_or(""), "tools:read tools:call");
  EXPECT_EQ(json::getString(claims, "iss").value_or(""), "http://127.0.0.1:" + std::to_string(withConnector.port()));
  EXPECT_LE(json::getInt(claims, "exp").value_or(0) - json::getInt(claims, "iat").value_or(0), 300);
  EXPECT_NE(jwt, token);
  // Signed by a key the JWKS publishes.
  HttpResult jwks = testing::request(withConnector.port(), "GET", "/oauth/jwks", {}, "");
  EXPECT_NE(jwks.body.find(json::getString(decoded->header, "kid").value_or("?")), std::string::npos);
}

TEST(PluginGateway, WithoutSignInThereAreNoIdentityAssertions) {
  TestGateway gateway("logging:\n  level: error\nplugins:\n" + pluginEntry("conn", "connector", "sdk_connector"));
  McpSession session(gateway.port());
  const auto response = session.callTool("connector_assertion");
  EXPECT_NE(json::stringify(response).find("sign-in"), std::string::npos) << json::stringify(response);
}

}  // namespace identity_assertions

namespace health {

std::string readyz(TestGateway& gateway) { return testing::request(gateway.port(), "GET", "/readyz", {}, "").body; }

TEST(PluginGateway, ReadyzShowsEachPluginsHealthAndStaysReady) {
  TestGateway gateway("logging:\n  level: error\nplugins:\n" + pluginEntry("demo", "primitives", "demo") +
                      pluginEntry("up", "connector", "sdk_connector", "{health: {status: up}}") +
                      pluginEntry("down", "connector", "sdk_connector",
                                  "{health: {status: down, detail: connection refused}}") +
                      pluginEntry("silent", "connector", "sdk_connector"));
  auto body = json::asObject(json::parse(readyz(gateway)));
  ASSERT_TRUE(body);
  EXPECT_EQ(json::getString(body, "status").value_or(""), "ready");
  auto health = json::getObject(body, "health");
  ASSERT_TRUE(health) << json::stringify(body);
  EXPECT_EQ(json::getString(json::getObject(health, "up"), "status").value_or(""), "up");
  EXPECT_EQ(json::getString(json::getObject(health, "down"), "detail").value_or(""), "connection refused");
  EXPECT_FALSE(health->has("silent"));
  EXPECT_FALSE(health->has("demo"));
}

TEST(PluginGateway, AMalformedHealthReportReadsAsDown) {
  for (const std::string report : {"{status: fine}", "[up]", "42", "{detail: no status}"}) {
    TestGateway gateway("logging:\n  level: error\nplugins:\n" +
                        pluginEntry("odd", "connector", "sdk_connector", "{health: " + report + "}"));
    auto body = json::asObject(json::parse(readyz(gateway)));
    ASSERT_TRUE(body) << report;
    auto odd = json::getObject(json::getObject(body, "health"), "odd");
    ASSERT_TRUE(odd) << report << ": " << json::stringify(body);
    EXPECT_EQ(json::getString(odd, "status").value_or(""), "down") << report;
  }
}

}  // namespace health

}  // namespace
}  // namespace portcullis::testing
