// The tools the core serves itself (core/mcp/builtin_tools.hpp).

#include "core/mcp/builtin_tools.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "tests/unit/mcp/dispatcher_fixture.hpp"

namespace portcullis::mcp {
namespace {

using fakes::request;

class BuiltinToolsTest : public fakes::DispatcherTest {
 protected:
  void SetUp() override {
    builtins = std::make_shared<BuiltinTools>(catalog);
    catalog.addProvider(builtins);
    fakes::DispatcherTest::SetUp();
  }
  std::shared_ptr<BuiltinTools> builtins;
};

TEST_F(BuiltinToolsTest, WhoamiIsListedFirstWithAValidDefinition) {
  auto view = catalog.view();
  ASSERT_FALSE(view->tools.empty());
  EXPECT_EQ(view->tools[0].key, "whoami");
  EXPECT_EQ(definitionProblem(ListKind::Tools, view->tools[0].definition), "");
  EXPECT_TRUE(builtins->list(ListKind::Prompts)->size() == 0);
}

TEST_F(BuiltinToolsTest, WhoamiDescribesTheCaller) {
  auto session = initializedSession("{}", "2025-06-18");
  RequestScope scope = legacy(session);
  scope.principal.subject = "user-7";
  auto result = resultOf(call("tools/call", R"({"name":"whoami","arguments":{}})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  auto identity = json::getObject(result, "structuredContent");
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(json::getString(identity, "subject"), "user-7");
  EXPECT_EQ(json::getString(identity, "protocolVersion"), "2025-06-18");
  EXPECT_EQ(json::getInt(identity, "visibleTools"), 4);
  EXPECT_EQ(json::getString(json::getObject(identity, "clientInfo"), "name"), "legacy-client");
}

TEST_F(BuiltinToolsTest, WhoamiRejectsArguments) {
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/call", R"({"name":"whoami","arguments":{"x":1}})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getBool(result, "isError"), true);
}

}  // namespace
}  // namespace portcullis::mcp
