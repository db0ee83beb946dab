// The dispatcher as the one enforcement point: lists filtered per caller,
// uses of anything filtered refused before the provider runs, refusals that
// do not reveal existence, step-up answers and audit records.
#include "core/mcp/access.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "tests/unit/mcp/dispatcher_fixture.hpp"

namespace portcullis::mcp::fakes {
namespace {

// Members see names without "secret"; admins everything; "scoped" needs the
// scope "extra" on the token; "locked" is hidden from everyone.
class RolePolicy : public AccessPolicy {
 public:
  AccessDecision decide(const Principal& principal, ListKind, const CatalogEntry& entry) const override {
    ++decisions;
    const bool admin = std::find(principal.roles.begin(), principal.roles.end(), "admin") != principal.roles.end();
    if (entry.key == "locked") return {Access::Hidden, "locked", {}};
    if (entry.key == "scoped") {
      const bool has = std::find(principal.scopes.begin(), principal.scopes.end(), "extra") != principal.scopes.end();
      return has ? AccessDecision{Access::Allowed, "scoped", {}} : AccessDecision{Access::StepUp, "scoped", {"extra"}};
    }
    if (!admin && entry.key.find("secret") != std::string::npos) return {Access::Hidden, "members", {}};
    return {Access::Allowed, admin ? "admins" : "members", {}};
  }
  mutable std::atomic<int> decisions{0};
};

class RecordingAudit : public AuditSink {
 public:
  void record(AuditRecord r) override {
    std::lock_guard lock(mutex);
    records.push_back(std::move(r));
  }
  std::vector<AuditRecord> all() {
    std::lock_guard lock(mutex);
    return records;
  }
  std::mutex mutex;
  std::vector<AuditRecord> records;
};

class AccessTest : public DispatcherTest {
 protected:
  void SetUp() override {
    DispatcherTest::SetUp();
    alpha->setList(ListKind::Tools, "[" + toolJson("echo") + "," + toolJson("secret_reset") + "," +
                                        toolJson("scoped") + "," + toolJson("locked") + "]");
    alpha->setList(ListKind::Resources,
                   R"([{"uri":"file:///a.txt","name":"a"},{"uri":"file:///secret.txt","name":"s"}])");
    alpha->setList(ListKind::Prompts, R"([{"name":"greet"},{"name":"secret_prompt"}])");
    catalog.invalidate(*alpha, 0xF);
    dispatcher->setAccessControl(&policy, &audit);
  }

  RequestScope as(const std::string& user, const std::string& role,
                  std::vector<std::string> scopes = {"tools:read", "tools:call"}) {
    RequestScope scope = modern();
    scope.principal.subject = "u-" + user;
    scope.principal.username = user;
    scope.principal.roles = {role};
    scope.principal.scopes = std::move(scopes);
    scope.principal.authenticated = true;
    return scope;
  }

  std::set<std::string> toolNames(RequestScope& scope) {
    std::set<std::string> names;
    auto result = resultOf(call("tools/list", "{}", scope));
    auto tools = json::getArray(result, "tools");
    for (unsigned i = 0; tools && i < tools->size(); ++i) {
      names.insert(*json::getString(json::asObject(tools->get(i)), "name"));
    }
    return names;
  }

  size_t alphaCalls(const std::string& method) {
    auto calls = alpha->calls();
    return std::count_if(calls.begin(), calls.end(), [&](const auto& c) { return c.method == method; });
  }

  RolePolicy policy;
  RecordingAudit audit;
};

TEST_F(AccessTest, ListsShowEachCallerTheirOwnShare) {
  RequestScope bob = as("bob", "member");
  RequestScope alice = as("alice", "admin");
  EXPECT_EQ(toolNames(bob), (std::set<std::string>{"echo", "scoped", "beta_tool"}));
  EXPECT_EQ(toolNames(alice), (std::set<std::string>{"echo", "secret_reset", "scoped", "beta_tool"}));
  auto resources = json::getArray(resultOf(call("resources/list", "{}", bob)), "resources");
  ASSERT_TRUE(resources);
  EXPECT_EQ(resources->size(), 1u);
  auto prompts = json::getArray(resultOf(call("prompts/list", "{}", bob)), "prompts");
  ASSERT_TRUE(prompts);
  EXPECT_EQ(prompts->size(), 1u);
}

TEST_F(AccessTest, PersonalListsAreMarkedPrivate) {
  RequestScope bob = as("bob", "member");
  auto result = resultOf(call("tools/list", "{}", bob));
  EXPECT_EQ(json::getString(result, "cacheScope").value_or(""), "private");
}

TEST_F(AccessTest, AHiddenToolIsRefusedLikeAnUnknownOneAndNeverRuns) {
  RequestScope bob = as("bob", "member");
  auto hidden = call("tools/call", R"({"name":"secret_reset","arguments":{}})", bob);
  auto unknown = call("tools/call", R"({"name":"no_such_tool","arguments":{}})", bob);
  EXPECT_EQ(errorCode(hidden), jsonrpc::codes::kInvalidParams);
  EXPECT_EQ(json::getString(errorOf(hidden), "message").value_or(""), "Unknown tool: secret_reset");
  EXPECT_EQ(json::getString(errorOf(unknown), "message").value_or(""), "Unknown tool: no_such_tool");
  EXPECT_EQ(alphaCalls("tools/call"), 0u);

  RequestScope alice = as("alice", "admin");
  auto allowed = call("tools/call", R"({"name":"secret_reset","arguments":{}})", alice);
  EXPECT_TRUE(resultOf(allowed)) << last.body;
  EXPECT_EQ(alphaCalls("tools/call"), 1u);
}

TEST_F(AccessTest, EveryKindOfUseIsChecked) {
  RequestScope bob = as("bob", "member");
  EXPECT_TRUE(errorOf(call("resources/read", R"({"uri":"file:///secret.txt"})", bob)));
  EXPECT_TRUE(errorOf(call("prompts/get", R"({"name":"secret_prompt"})", bob)));
  EXPECT_TRUE(errorOf(call("completion/complete",
                           R"({"ref":{"type":"ref/prompt","name":"secret_prompt"},"argument":{"name":"a","value":""}})",
                           bob)));
  EXPECT_TRUE(errorOf(call("completion/complete",
                           R"({"ref":{"type":"ref/resource","uri":"file:///secret.txt"},"argument":{"name":"a","value":""}})",
                           bob)));
  EXPECT_EQ(alpha->calls().size(), 0u);
  // What Bob may use still works.
  EXPECT_TRUE(resultOf(call("resources/read", R"({"uri":"file:///a.txt"})", bob))) << last.body;
  EXPECT_TRUE(resultOf(call("prompts/get", R"({"name":"greet"})", bob))) << last.body;
}

TEST_F(AccessTest, SubscribingToAHiddenResourceIsAnsweredLikeAnUnknownOneAndNeverReachesThePlugin) {
  auto session = initializedSession();
  RequestScope bob = legacy(session);
  bob.principal.subject = "u-bob";
  bob.principal.username = "bob";
  bob.principal.roles = {"member"};
  bob.principal.authenticated = true;
  auto hidden = call("resources/subscribe", R"({"uri":"file:///secret.txt"})", bob);
  auto unknown = call("resources/subscribe", R"({"uri":"file:///nobody-serves-this.txt"})", bob);
  ASSERT_TRUE(resultOf(hidden));
  ASSERT_TRUE(resultOf(unknown));
  EXPECT_EQ(resultOf(hidden)->size(), 0u);
  EXPECT_EQ(resultOf(unknown)->size(), 0u);
  EXPECT_FALSE(session->subscribed("file:///secret.txt"));
  EXPECT_EQ(alphaCalls("resources/subscribe"), 0u);
  call("resources/unsubscribe", R"({"uri":"file:///secret.txt"})", bob);
  EXPECT_EQ(alphaCalls("resources/unsubscribe"), 0u);

  EXPECT_TRUE(resultOf(call("resources/subscribe", R"({"uri":"file:///a.txt"})", bob))) << last.body;
  EXPECT_TRUE(session->subscribed("file:///a.txt"));
  EXPECT_EQ(alphaCalls("resources/subscribe"), 1u);

  auto records = audit.all();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, "deny");
  EXPECT_EQ(records[0].name, "file:///secret.txt");
  EXPECT_EQ(records[0].method, "resources/subscribe");
  EXPECT_EQ(records[1].decision, "allow");
  EXPECT_EQ(records[1].outcome, "ok");
}

TEST_F(AccessTest, UpdatesReachOnlyThoseWhoMayReadTheResource) {
  Principal bob;
  bob.subject = "u-bob";
  bob.roles = {"member"};
  Principal alice;
  alice.subject = "u-alice";
  alice.roles = {"admin"};
  auto streamOf = [&](const Principal& p) {
    auto session = sessions.create(p);
    auto stream = std::make_shared<RecordingOutbound>();
    session->setNotificationStream(stream);
    session->markInitialized();
    // Subscribed by a URI nobody served at the time, say.
    session->subscribe("file:///secret.txt");
    session->subscribe("file:///a.txt");
    return std::make_pair(session, stream);
  };
  auto [bobSession, bobStream] = streamOf(bob);
  auto [aliceSession, aliceStream] = streamOf(alice);
  ListenFilter filter;
  filter.resourceSubscriptions = {"file:///secret.txt"};
  auto bobListener = std::make_shared<RecordingOutbound>();
  feed.addListener(json::Value(1), filter, bobListener, bob);

  feed.resourceUpdated("file:///secret.txt");
  feed.resourceUpdated("file:///a.txt");
  feed.resourceUpdated("file:///unlisted.txt");
  EXPECT_EQ(bobStream->count(), 1u);  // a.txt only
  EXPECT_EQ(aliceStream->count(), 2u);
  EXPECT_EQ(bobListener->count(), 0u);
}

TEST_F(AccessTest, AStepUpAnsweredByTheTransportIsRecorded) {
  RequestScope bob = as("bob", "member", {"tools:read"});
  EXPECT_EQ(dispatcher->stepUpScopes(request(3, "tools/call", R"({"name":"scoped"})"), bob.principal),
            std::vector<std::string>{"extra"});
  EXPECT_TRUE(dispatcher->stepUpScopes(request(4, "tools/call", R"({"name":"echo"})"), bob.principal).empty());
  auto records = audit.all();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, "step-up");
  EXPECT_EQ(records[0].name, "scoped");
  EXPECT_EQ(records[0].username, "bob");
  EXPECT_TRUE(records[0].outcome.empty());
}

TEST_F(AccessTest, StepUpNamesTheMissingScope) {
  RequestScope bob = as("bob", "member");
  const auto message = request(7, "tools/call", R"({"name":"scoped","arguments":{}})");
  EXPECT_EQ(dispatcher->stepUpScopes(message, bob.principal), std::vector<std::string>{"extra"});
  // Where no 403 can be sent, the JSON-RPC error says what is needed.
  auto refused = call(message, bob);
  EXPECT_NE(json::getString(errorOf(refused), "message").value_or("").find("extra"), std::string::npos);
  EXPECT_EQ(alphaCalls("tools/call"), 0u);
  // Hidden and allowed tools need no step-up.
  EXPECT_TRUE(dispatcher->stepUpScopes(request(8, "tools/call", R"({"name":"locked"})"), bob.principal).empty());
  EXPECT_TRUE(dispatcher->stepUpScopes(request(9, "tools/call", R"({"name":"echo"})"), bob.principal).empty());

  RequestScope stepped = as("bob", "member", {"tools:call", "extra"});
  EXPECT_TRUE(resultOf(call("tools/call", R"({"name":"scoped","arguments":{}})", stepped))) << last.body;
}

TEST_F(AccessTest, PaginationCountsOnlyWhatTheCallerSees) {
  options.pageSize = 1;
  rebuild();
  dispatcher->setAccessControl(&policy, &audit);
  RequestScope bob = as("bob", "member");
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto result = resultOf(call("tools/list", cursor.empty() ? "{}" : R"({"cursor":")" + cursor + R"("})", bob));
    ASSERT_TRUE(result) << last.body;
    auto tools = json::getArray(result, "tools");
    for (unsigned i = 0; i < tools->size(); ++i) seen.push_back(*json::getString(json::asObject(tools->get(i)), "name"));
    auto next = json::getString(result, "nextCursor");
    if (!next) break;
    cursor = *next;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"echo", "scoped", "beta_tool"}));
}

TEST_F(AccessTest, DecisionsAreRecorded) {
  RequestScope bob = as("bob", "member");
  call("tools/call", R"({"name":"secret_reset","arguments":{}})", bob);
  call("tools/call", R"({"name":"echo","arguments":{}})", bob);
  auto records = audit.all();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, "deny");
  EXPECT_EQ(records[0].rule, "members");
  EXPECT_EQ(records[0].name, "secret_reset");
  EXPECT_EQ(records[0].plugin, "alpha");
  EXPECT_EQ(records[0].username, "bob");
  EXPECT_EQ(records[0].method, "tools/call");
  EXPECT_EQ(records[0].kind, "tool");
  EXPECT_TRUE(records[0].outcome.empty());
  EXPECT_EQ(records[1].decision, "allow");
  EXPECT_EQ(records[1].outcome, "ok");
  EXPECT_GE(records[1].latencyUs, 0);
  EXPECT_GT(records[1].at, 0);
}

TEST_F(AccessTest, DecisionsAreCachedPerPrincipalAndCatalogGeneration) {
  RequestScope bob = as("bob", "member");
  toolNames(bob);
  const int afterFirst = policy.decisions;
  for (int i = 0; i < 5; ++i) call("tools/call", R"({"name":"echo","arguments":{}})", bob);
  toolNames(bob);
  EXPECT_EQ(policy.decisions, afterFirst);
  // A new role is a new principal: Bob promoted sees more at once.
  RequestScope promoted = as("bob", "admin");
  EXPECT_EQ(toolNames(promoted).count("secret_reset"), 1u);
  // A changed catalog is evaluated again.
  alpha->setList(ListKind::Tools, "[" + toolJson("echo") + "," + toolJson("secret_two") + "]");
  catalog.invalidate(*alpha, static_cast<uint32_t>(ListKind::Tools));
  EXPECT_EQ(toolNames(promoted).count("secret_two"), 1u);
  EXPECT_EQ(toolNames(bob).count("secret_two"), 0u);
}

TEST_F(AccessTest, WithoutAPolicyEverythingIsAllowed) {
  rebuild();
  RequestScope bob = as("bob", "member");
  EXPECT_EQ(toolNames(bob).size(), 5u);
  EXPECT_EQ(dispatcher->visibleCount(bob.principal, ListKind::Tools), 5u);
  EXPECT_TRUE(resultOf(call("tools/call", R"({"name":"secret_reset","arguments":{}})", bob)));
}

TEST_F(AccessTest, VisibleCountFollowsThePolicy) {
  RequestScope bob = as("bob", "member");
  RequestScope alice = as("alice", "admin");
  EXPECT_EQ(dispatcher->visibleCount(bob.principal, ListKind::Tools), 3u);
  EXPECT_EQ(dispatcher->visibleCount(alice.principal, ListKind::Tools), 4u);
}

TEST(AccessGateTest, FingerprintsSeparateEveryField) {
  Principal a;
  a.roles = {"ab"};
  Principal b;
  b.roles = {"a", "b"};
  EXPECT_NE(AccessGate::fingerprint(a), AccessGate::fingerprint(b));
  Principal c;
  c.groups = {"x"};
  Principal d;
  d.scopes = {"x"};
  EXPECT_NE(AccessGate::fingerprint(c), AccessGate::fingerprint(d));
  Principal e;
  e.apiTokenId = "t";
  EXPECT_NE(AccessGate::fingerprint(e), AccessGate::fingerprint(Principal{}));
}

}  // namespace
}  // namespace portcullis::mcp::fakes
