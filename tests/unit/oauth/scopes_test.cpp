// Scopes (core/oauth/scopes.hpp): which scope each MCP method needs, and how
// requested scopes are normalised.

#include "core/oauth/scopes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::oauth {
namespace {

namespace json = common::json;

json::ObjectPtr params(const std::string& text) { return json::parseObject(text); }

TEST(RequiredScope, EveryMcpMethod) {
  const std::vector<std::pair<std::string, std::string>> table{
      // Discovery, lifecycle and housekeeping: any valid token.
      {"initialize", ""},
      {"ping", ""},
      {"server/discover", ""},
      {"logging/setLevel", ""},
      {"notifications/initialized", ""},
      {"notifications/cancelled", ""},
      {"notifications/progress", ""},
      {"notifications/roots/list_changed", ""},
      // Tools.
      {"tools/list", "tools:read"},
      {"tools/call", "tools:call"},
      // Tasks run tools.
      {"tasks/get", "tools:call"},
      {"tasks/update", "tools:call"},
      {"tasks/cancel", "tools:call"},
      {"tasks/list", "tools:call"},
      {"tasks/result", "tools:call"},
      // Resources.
      {"resources/list", "resources:read"},
      {"resources/templates/list", "resources:read"},
      {"resources/read", "resources:read"},
      {"resources/subscribe", "resources:read"},
      {"resources/unsubscribe", "resources:read"},
      // Prompts.
      {"prompts/list", "prompts:read"},
      {"prompts/get", "prompts:read"},
  };
  for (const auto& [method, scope] : table) {
    EXPECT_EQ(requiredScope(method, json::makeObject()), scope) << method;
    EXPECT_EQ(requiredScope(method, nullptr), scope) << method << " without params";
  }
}

TEST(RequiredScope, CompletionDependsOnWhatIsCompleted) {
  EXPECT_EQ(
      requiredScope("completion/complete", params(R"({"ref":{"type":"ref/prompt","name":"p"}})")),
      "prompts:read");
  EXPECT_EQ(requiredScope("completion/complete",
                          params(R"({"ref":{"type":"ref/resource","uri":"x://y"}})")),
            "resources:read");
  // Anything else is judged as a prompt completion, never as nothing.
  EXPECT_EQ(requiredScope("completion/complete", params(R"({"ref":{"type":"ref/other"}})")),
            "prompts:read");
  EXPECT_EQ(requiredScope("completion/complete", params(R"({"ref":"ref/resource"})")),
            "prompts:read");
  EXPECT_EQ(requiredScope("completion/complete", json::makeObject()), "prompts:read");
  EXPECT_EQ(requiredScope("completion/complete", nullptr), "prompts:read");
}

TEST(RequiredScope, ListeningForResourceUpdatesNeedsResourcesRead) {
  // subscriptions/listen with resourceSubscriptions is a subscription to
  // resources, like resources/subscribe.
  EXPECT_EQ(
      requiredScope("subscriptions/listen",
                    params(R"({"notifications":{"resourceSubscriptions":["file:///secret"]}})")),
      "resources:read");
  // List-change notifications alone reveal nothing a token cannot see.
  EXPECT_EQ(requiredScope("subscriptions/listen",
                          params(R"({"notifications":{"toolsListChanged":true}})")),
            "");
  EXPECT_EQ(
      requiredScope(
          "subscriptions/listen",
          params(R"({"notifications":{"toolsListChanged":true,"resourceSubscriptions":[]}})")),
      "");
  EXPECT_EQ(requiredScope("subscriptions/listen", nullptr), "");
}

TEST(RequiredScope, MethodNamesAreExact) {
  EXPECT_EQ(requiredScope("Tools/call", nullptr), "");
  EXPECT_EQ(requiredScope("tools/list ", nullptr), "");
  EXPECT_EQ(requiredScope("", nullptr), "");
}

TEST(SplitScopes, SplitsOnSpacesDropsEmptiesAndDuplicates) {
  EXPECT_EQ(splitScopes("a b  c a"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(splitScopes(""), std::vector<std::string>{});
  EXPECT_EQ(splitScopes("   "), std::vector<std::string>{});
  EXPECT_EQ(joinScopes({"a", "b"}), "a b");
  EXPECT_EQ(joinScopes({}), "");
}

TEST(NormaliseRequest, AnEmptyRequestMeansEveryMcpScope) {
  EXPECT_EQ(normaliseRequest({}), (std::vector<std::string>{"tools:read", "tools:call",
                                                            "resources:read", "prompts:read"}));
}

TEST(NormaliseRequest, KeepsKnownScopesInCanonicalOrderAndDropsUnknownOnes) {
  EXPECT_EQ(normaliseRequest({"prompts:read", "admin", "tools:read", "tools:read"}),
            (std::vector<std::string>{"tools:read", "prompts:read"}));
}

TEST(NormaliseRequest, OpenIdScopesAloneMeanEverything) {
  const auto out = normaliseRequest({"openid", "profile"});
  for (const char* s :
       {"tools:read", "tools:call", "resources:read", "prompts:read", "openid", "profile"}) {
    EXPECT_TRUE(hasScope(out, s)) << s;
  }
}

TEST(NormaliseRequest, OnlyUnknownScopesMeanEverything) {
  // A client that asks only for scopes this server does not know (another
  // server's names) gets the MCP scopes, shown on the consent page.
  const auto out = normaliseRequest({"read:all"});
  EXPECT_TRUE(hasScope(out, "tools:read"));
  EXPECT_FALSE(hasScope(out, "read:all"));
}

TEST(McpScopes, EachHasADescription) {
  for (const auto& s : mcpScopes()) EXPECT_FALSE(s.description.empty()) << s.name;
  EXPECT_TRUE(isOpenIdScope("offline_access"));
  EXPECT_FALSE(isOpenIdScope("tools:read"));
}

}  // namespace
}  // namespace portcullis::oauth
