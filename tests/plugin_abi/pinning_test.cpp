// Definition pinning end to end: a connector (the SDK fixture sdk_connector,
// using DefinitionPins) pins what it first lists; after a restart with a
// changed definition the tool is hidden and the change is in the audit log;
// `portcullis connectors pins` shows it and `connectors approve` brings it
// back on the running server through the change log.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "core/audit/audit_log.hpp"
#include "core/common/json.hpp"
#include "core/oauth/api_token_store.hpp"
#include "core/oauth/user_directory.hpp"
#include "core/storage/database.hpp"
#include "core/storage/plugin_store.hpp"
#include "tests/plugin_abi/abi_fixtures.hpp"
#include "tests/plugin_abi/child_process.hpp"
#include "tests/plugin_abi/mcp_session.hpp"
#include "tests/support/test_gateway.hpp"

namespace portcullis::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace json = common::json;

constexpr auto kBound = 120s;  // generous: a healthy run takes well under a second

class Pinning : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TestGateway::withAuth();
    storage::Database db(storage::StorageOptions{home_->dataDir() + "/portcullis.db"});
    oauth::UserDirectory users(db);
    oauth::ApiTokenStore tokens(db);
    const oauth::User ann = users.create("ann", "ann@example.com", "member", "builtin");
    oauth::ApiToken record;
    token_ = tokens.create(ann.id, "tools:read tools:call", std::chrono::hours(1), "t", record);
  }

  // The configuration of a gateway on the shared database whose connector
  // `up` lists the tool `search` with definition hash `hash`.
  std::string config(const std::string& hash) const {
    return TestGateway::authConfig(home_->dataDir()) + "  - {name: up, kind: connector, library: " +
           pluginPath("sdk_connector") + ", config: {hide_changed: true, upstream: {search: " + hash + "}}}\n";
  }

  std::set<std::string> tools(TestGateway& gateway) {
    McpSession session(gateway.port(), "/mcp", token_);
    auto result = json::getObject(session.request("tools/list", json::makeObject()), "result");
    std::set<std::string> names;
    auto list = json::getArray(result, "tools");
    for (unsigned i = 0; list && i < list->size(); ++i) {
      names.insert(json::getString(json::asObject(list->get(i)), "name").value_or(""));
    }
    return names;
  }

  std::string writeConfig(const std::string& text) {
    const std::string file = home_->dataDir() + "/pinning.yaml";
    std::ofstream(file) << text;
    return file;
  }

  std::unique_ptr<TestGateway> home_;
  std::string token_;
};

TEST_F(Pinning, AChangedDefinitionIsHiddenAuditedAndBackOnceApproved) {
  {
    TestGateway first(config("aaaaaaaaaaaaaaaa"));
    EXPECT_EQ(tools(first).count("search"), 1u);
  }
  TestGateway second(config("bbbbbbbbbbbbbbbb"));
  EXPECT_EQ(tools(second).count("search"), 0u) << "a changed definition waits for approval";

  // The change is in the audit log.
  ASSERT_NE(second.gateway().audit(), nullptr);
  ASSERT_TRUE(second.gateway().audit()->flush(10s));
  storage::Database db(storage::StorageOptions{home_->dataDir() + "/portcullis.db"});
  audit::AuditLog log(db);
  bool seen = false;
  for (const auto& e : log.tail(std::nullopt, 50, audit::AuditLog::kLatest)) {
    if (e.record.decision == "definition-changed" && e.record.name == "search" && e.record.plugin == "up") {
      seen = true;
      EXPECT_EQ(e.record.kind, "tool");
      EXPECT_EQ(e.record.outcome, "hidden");
      EXPECT_THAT(e.record.rule, HasSubstr("aaaaaaaaaaaa"));
      EXPECT_THAT(e.record.rule, HasSubstr("bbbbbbbbbbbb"));
    }
  }
  EXPECT_TRUE(seen);

  const std::string file = writeConfig(config("bbbbbbbbbbbbbbbb"));
  const ChildResult pins = runChild(PORTCULLIS_TEST_BINARY, {"connectors", "pins", "up", "--config", file}, kBound);
  ASSERT_TRUE(pins.exited) << pins.describe();
  EXPECT_EQ(pins.exitCode, 0) << pins.describe();
  EXPECT_THAT(pins.out, HasSubstr("search"));
  EXPECT_THAT(pins.out, HasSubstr("changed"));

  // Unknown names and connectors are refused and change nothing.
  const ChildResult wrong =
      runChild(PORTCULLIS_TEST_BINARY, {"connectors", "approve", "up", "tool:nothing", "--config", file}, kBound);
  EXPECT_NE(wrong.exitCode, 0) << wrong.describe();
  EXPECT_THAT(wrong.err, HasSubstr("no changed definition tool:nothing"));
  const ChildResult ghost = runChild(PORTCULLIS_TEST_BINARY, {"connectors", "approve", "ghost", "--config", file}, kBound);
  EXPECT_NE(ghost.exitCode, 0) << ghost.describe();
  EXPECT_THAT(ghost.err, HasSubstr("no connector named ghost"));
  EXPECT_EQ(tools(second).count("search"), 0u);

  const ChildResult approved =
      runChild(PORTCULLIS_TEST_BINARY, {"connectors", "approve", "up", "search", "--config", file}, kBound);
  ASSERT_TRUE(approved.exited) << approved.describe();
  EXPECT_EQ(approved.exitCode, 0) << approved.describe();
  EXPECT_THAT(approved.out, HasSubstr("approved tool search"));

  // The running server hears of it through the change log (polled every
  // 250 ms) and lists the tool again.
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (tools(second).count("search") == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(tools(second).count("search"), 1u);

  // Pinned now: a restart with the same definition lists it at once.
  TestGateway third(config("bbbbbbbbbbbbbbbb"));
  EXPECT_EQ(tools(third).count("search"), 1u);
}

TEST_F(Pinning, PluginStoreKeysMatchPrefixesLiterally) {
  storage::Database db(storage::StorageOptions{home_->dataDir() + "/portcullis.db"});
  storage::PluginStore store(db, "up");
  store.apply({{"pin:tool:a_b", "1"}, {"pin:tool:a%b", "2"}, {"pending:tool:a_b", "{}"}}, {});
  storage::PluginStore other(db, "other");
  other.put("pin:tool:x", "3", std::chrono::milliseconds(0));
  EXPECT_EQ(store.keys("pin:tool:a_"), std::vector<std::string>{"pin:tool:a_b"});
  EXPECT_EQ(store.keys("pin:"), (std::vector<std::string>{"pin:tool:a%b", "pin:tool:a_b"}));
  store.apply({}, {"pin:tool:a%b"});
  EXPECT_EQ(store.keys("pin:"), std::vector<std::string>{"pin:tool:a_b"});
}

}  // namespace
}  // namespace portcullis::testing
