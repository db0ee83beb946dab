// The audit log of a running server with a policy: an allowed call, a
// refused one and a call of a tool that does not exist each leave one row
// with the decision and the rule; what the last requests
// decided is written when the server stops; audit.enabled: false and an
// open server (no database) record nothing.

#include <gtest/gtest.h>

#include "core/audit/audit_log.hpp"
#include "tests/integration/oauth_support.hpp"

namespace portcullis::testing::oauth_it {
namespace {

constexpr auto kBound = std::chrono::seconds(30);  // a bound on waiting, not an expectation
constexpr const char* kAllScopes = "tools:read tools:call resources:read prompts:read";

const char* kPolicy =
    "policy:\n"
    "  rules:\n"
    "    - name: members-echo\n"
    "      effect: allow\n"
    "      roles: [member]\n"
    "      tools: [demo_echo]\n"
    "    - name: no-help-for-members\n"
    "      effect: deny\n"
    "      roles: [member]\n"
    "      tools: [demo_get_help]\n";

AuthOptions withPolicy(const std::string& audit = {}) {
  AuthOptions options;
  options.extra = kPolicy + audit;
  return options;
}

HttpResult callTool(uint16_t port, const std::string& token, const std::string& name,
                    const std::string& arguments = "{}") {
  return mcp(port, token, "tools/call",
             R"({"name":")" + name + R"(","arguments":)" + arguments + "}", name);
}

std::vector<audit::AuditEvent> decisionsOf(storage::Database& db, const std::string& username) {
  return audit::AuditLog(db).tail(username, 100, 0);
}

TEST(AuditIntegration, EveryDecisionIsRecordedWithItsRule) {
  auto gateway = TestGateway::withAuth(withPolicy());
  Store store(*gateway);
  const oauth::User alice = store.user("alice");
  std::string tokenId;
  const std::string token = store.apiToken(alice, kAllScopes, &tokenId);

  const HttpResult allowed = callTool(gateway->port(), token, "demo_echo", R"({"text":"hi"})");
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_NE(allowed.body.find("\"result\""), std::string::npos) << allowed.body;
  const HttpResult refused = callTool(gateway->port(), token, "demo_get_help");
  EXPECT_EQ(refused.body.find("\"result\""), std::string::npos) << refused.body;
  const HttpResult unknown = callTool(gateway->port(), token, "no_such_tool");
  EXPECT_EQ(unknown.body.find("\"result\""), std::string::npos) << unknown.body;

  audit::AuditLog* log = gateway->gateway().audit();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->flush(kBound));
  const auto events = decisionsOf(store.db, "alice");
  std::string lines;
  for (const auto& e : events) lines += audit::formatEvent(e) + "\n";
  ASSERT_EQ(events.size(), 3u) << lines;

  // decision, rule, kind, name, plugin, outcome of each row
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events) {
    const mcp::AuditRecord& r = e.record;
    rows.push_back({r.decision, r.rule, r.kind, r.name, r.plugin, r.outcome});
  }
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{
                      {"allow", "members-echo", "tool", "demo_echo", "demo", "ok"},
                      {"deny", "no-help-for-members", "tool", "demo_get_help", "demo", ""},
                      {"deny", "(not found)", "tool", "no_such_tool", "", ""},
                  }));
  for (const auto& e : events) {
    EXPECT_EQ(e.record.method, "tools/call");
    EXPECT_EQ(e.record.username, "alice");
    EXPECT_EQ(e.record.subject, alice.id);
    EXPECT_EQ(e.record.apiTokenId, tokenId);
    EXPECT_EQ(e.record.clientId, "api-token:" + tokenId);
    EXPECT_LE(std::abs(e.record.at - storage::nowMillis()), 60'000);
  }
  EXPECT_GT(events[0].record.latencyUs, 0);  // the plugin call itself

  EXPECT_LT(events[0].id, events[1].id);
  EXPECT_LT(events[1].id, events[2].id);
  EXPECT_EQ(log->counters().dropped, 0u);
}

TEST(AuditIntegration, OneUsersDecisionsAreToldApartFromAnothers) {
  auto gateway = TestGateway::withAuth(withPolicy());
  Store store(*gateway);
  const std::string alice = store.apiToken(store.user("alice"), kAllScopes);
  const std::string bob = store.apiToken(store.user("bob"), kAllScopes);
  ASSERT_EQ(callTool(gateway->port(), alice, "demo_echo", R"({"text":"a"})").status, 200);
  callTool(gateway->port(), bob, "demo_get_help");
  ASSERT_TRUE(gateway->gateway().audit()->flush(kBound));
  const auto aliceEvents = decisionsOf(store.db, "alice");
  const auto bobEvents = decisionsOf(store.db, "bob");
  ASSERT_EQ(aliceEvents.size(), 1u);
  ASSERT_EQ(bobEvents.size(), 1u);
  EXPECT_EQ(aliceEvents[0].record.decision, "allow");
  EXPECT_EQ(bobEvents[0].record.decision, "deny");
}

TEST(AuditIntegration, WhatTheLastRequestsDecidedIsWrittenWhenTheServerStops) {
  auto gateway = TestGateway::withAuth(withPolicy());
  auto store = std::make_unique<Store>(*gateway);
  const std::string token = store->apiToken(store->user("carol"), kAllScopes);
  for (int i = 0; i < 20; ++i) callTool(gateway->port(), token, "demo_get_help");
  gateway->gateway().stop();  // no flush: stopping writes the queue
  const auto events = decisionsOf(store->db, "carol");
  EXPECT_EQ(events.size(), 20u);
}

TEST(AuditIntegration, NothingIsRecordedWithAuditDisabledOrWithoutADatabase) {
  auto gateway = TestGateway::withAuth(withPolicy("audit:\n  enabled: false\n"));
  EXPECT_EQ(gateway->gateway().audit(), nullptr);
  Store store(*gateway);
  const std::string token = store.apiToken(store.user("dave"), kAllScopes);
  ASSERT_EQ(callTool(gateway->port(), token, "demo_echo", R"({"text":"x"})").status, 200);
  gateway->gateway().stop();
  EXPECT_EQ(store.db.query("SELECT COUNT(*) FROM audit_events").front().integer(0), 0);

  TestGateway open(TestGateway::openConfig());
  EXPECT_EQ(open.gateway().audit(), nullptr);
}

}  // namespace
}  // namespace portcullis::testing::oauth_it
