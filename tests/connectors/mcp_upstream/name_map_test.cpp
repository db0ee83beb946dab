#include <gtest/gtest.h>

#include "name_map.hpp"

using namespace portcullis::mcp_upstream;

namespace {

Json tool(const std::string& name, Json extra = Json::object()) {
  Json t{
      {"name", name}, {"description", "upstream " + name}, {"inputSchema", {{"type", "object"}}}};
  t.update(extra);
  return t;
}

Settings settingsWith(Json config) {
  config["command"] = "x";
  return parseSettings(config);
}

std::vector<std::string> names(const Json& list) {
  std::vector<std::string> out;
  for (const auto& t : list) out.push_back(t["name"].get<std::string>());
  return out;
}

}  // namespace

TEST(Glob, MatchesStarAndQuestionMark) {
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*", "anything"));
  EXPECT_TRUE(globMatch("get-*", "get-sum"));
  EXPECT_FALSE(globMatch("get-*", "echo"));
  EXPECT_TRUE(globMatch("*-sum", "get-sum"));
  EXPECT_TRUE(globMatch("g?t-*m", "get-sum"));
  EXPECT_TRUE(globMatch("*a*b*c", "xxaxxbxxbc"));
  EXPECT_FALSE(globMatch("*a*b*c", "xxaxxbxxb"));
  EXPECT_FALSE(globMatch("echo", "echo2"));
  EXPECT_TRUE(globMatch("a**b", "ab"));
}

TEST(NameMap, PrefixIncludeExclude) {
  NameMap map(
      settingsWith({{"prefix", "ev_"}, {"include", {"get-*", "echo"}}, {"exclude", {"get-env"}}}));
  const auto mapped =
      map.mapTools(Json::array({tool("echo"), tool("get-sum"), tool("get-env"), tool("toggle")}));
  EXPECT_EQ(names(mapped.definitions), (std::vector<std::string>{"ev_echo", "ev_get-sum"}));
  EXPECT_EQ(map.upstreamTool("ev_get-sum"), "get-sum");
  EXPECT_EQ(map.upstreamTool("get-sum"), "");
  EXPECT_EQ(map.upstreamTool("ev_get-env"), "");
}

TEST(NameMap, RenameKeepsEverythingElse) {
  NameMap map(settingsWith(
      {{"prefix", "p_"},
       {"tools", {{"echo", {{"name", "say_back"}, {"description", "Says it back"}}}}}}));
  const Json upstream = tool("echo", {{"title", "Echo"},
                                      {"inputSchema",
                                       {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                                        {"$defs", {{"a", {{"type", "string"}}}}},
                                        {"properties", {{"x", {{"$ref", "#/$defs/a"}}}}},
                                        {"additionalProperties", false}}},
                                      {"outputSchema", {{"type", "object"}}},
                                      {"annotations", {{"readOnlyHint", true}}},
                                      {"icons", Json::array({{{"src", "https://x/i.png"}}})},
                                      {"_meta", {{"k", 1}}}});
  const auto mapped = map.mapTools(Json::array({upstream}));
  ASSERT_EQ(mapped.definitions.size(), 1u);
  Json expected = upstream;
  expected["name"] = "p_say_back";
  expected["description"] = "Says it back";
  EXPECT_EQ(mapped.definitions[0], expected);
  EXPECT_EQ(map.upstreamTool("p_say_back"), "echo");
  EXPECT_EQ(map.upstreamTool("p_echo"), "");
}

TEST(NameMap, TwoRenamesToOneNameAreAConfigError) {
  EXPECT_THROW(NameMap(settingsWith({{"tools", {{"a", {{"name", "x"}}}, {"b", {{"name", "x"}}}}}})),
               std::invalid_argument);
}

TEST(NameMap, ARuntimeClashHidesTheLaterTool) {
  NameMap map(settingsWith({{"tools", {{"a", {{"name", "b"}}}}}}));
  const auto mapped = map.mapTools(Json::array({tool("a"), tool("b")}));
  EXPECT_EQ(names(mapped.definitions), std::vector<std::string>{"b"});
  EXPECT_EQ(map.upstreamTool("b"), "a");
  ASSERT_EQ(mapped.warnings.size(), 1u);
  EXPECT_NE(mapped.warnings[0].find("hidden"), std::string::npos);
}

TEST(NameMap, NamelessDefinitionsAreSkipped) {
  NameMap map(settingsWith(Json::object()));
  const auto mapped = map.mapTools(Json::array({Json{{"description", "x"}}, 7, tool("ok")}));
  EXPECT_EQ(names(mapped.definitions), std::vector<std::string>{"ok"});
  EXPECT_EQ(mapped.warnings.size(), 2u);
}

TEST(NameMap, PromptsTakeThePrefixButNotToolRenames) {
  NameMap map(settingsWith(
      {{"prefix", "e_"}, {"tools", {{"greet", {{"name", "hello"}}}}}, {"exclude", {"secret*"}}}));
  const auto mapped =
      map.mapPrompts(Json::array({Json{{"name", "greet"}}, Json{{"name", "secret-one"}}}));
  EXPECT_EQ(names(mapped.definitions), std::vector<std::string>{"e_greet"});
  EXPECT_EQ(map.upstreamPrompt("e_greet"), "greet");
}

TEST(NameMap, ARefreshForgetsToolsThatWentAway) {
  NameMap map(settingsWith(Json::object()));
  map.mapTools(Json::array({tool("a"), tool("b")}));
  map.mapTools(Json::array({tool("a")}));
  EXPECT_EQ(map.upstreamTool("b"), "");
  EXPECT_EQ(map.upstreamTool("a"), "a");
}
