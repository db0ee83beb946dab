// Legacy sessions: the store, in-flight cancellation, server-to-client
// requests waiting for replies, and closing (core/mcp/session.hpp).

#include "core/mcp/session.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <string>

#include "core/common/text.hpp"
#include "tests/unit/mcp/fakes.hpp"

namespace portcullis::mcp {
namespace {

using fakes::kWait;
using fakes::RecordingOutbound;

jsonrpc::Message replyTo(const std::string& idJson,
                         const std::string& resultJson = R"({"ok":true})") {
  return jsonrpc::toMessage(
      json::parse(R"({"jsonrpc":"2.0","id":)" + idJson + R"(,"result":)" + resultJson + "}"));
}

// Returns once the steady clock has moved past `t`.
void waitPast(Session::Clock::time_point t) {
  for (int i = 0; i < 100'000'000 && Session::Clock::now() <= t; ++i) {
  }
  ASSERT_GT(Session::Clock::now(), t);
}

class CountingAttachment : public SessionAttachment {
 public:
  void onSessionClosed() override { ++closed; }
  std::atomic<int> closed{0};
};

// ---- the store ---------------------------------------------------------------------

TEST(SessionStore, CreatesUpToTheMaximum) {
  SessionStore store(3);
  for (int i = 0; i < 3; ++i) EXPECT_NE(store.create(Principal{}), nullptr);
  EXPECT_EQ(store.create(Principal{}), nullptr);
  EXPECT_EQ(store.size(), 3u);
}

TEST(SessionStore, IdsAreUniqueAndUnguessableLooking) {
  SessionStore store(100);
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto s = store.create(Principal{});
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->id().size(), 32u);
    EXPECT_TRUE(common::isHeaderSafe(s->id()));
    ids.insert(s->id());
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST(SessionStore, KeepsThePrincipal) {
  SessionStore store(1);
  Principal p;
  p.subject = "user-1";
  p.authenticated = true;
  auto s = store.create(p);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->principal().subject, "user-1");
  EXPECT_TRUE(s->principal().authenticated);
}

TEST(SessionStore, FindAndRemove) {
  SessionStore store(4);
  auto s = store.create(Principal{});
  EXPECT_EQ(store.find(s->id()), s);
  EXPECT_EQ(store.find("unknown"), nullptr);
  EXPECT_EQ(store.find(""), nullptr);
  EXPECT_TRUE(store.remove(s->id()));
  EXPECT_EQ(store.find(s->id()), nullptr);
  EXPECT_FALSE(store.remove(s->id()));
  EXPECT_TRUE(s->closed());
}

TEST(SessionStore, RemovingFreesASlot) {
  SessionStore store(1);
  auto s = store.create(Principal{});
  EXPECT_EQ(store.create(Principal{}), nullptr);
  store.remove(s->id());
  EXPECT_NE(store.create(Principal{}), nullptr);
}

TEST(SessionStore, SweepKeepsRecentlyActiveSessions) {
  SessionStore store(4);
  auto s = store.create(Principal{});
  EXPECT_EQ(store.sweep(std::chrono::hours(1)), 0u);
  EXPECT_EQ(store.find(s->id()), s);
  EXPECT_FALSE(s->closed());
}

TEST(SessionStore, SweepClosesIdleSessions) {
  SessionStore store(4);
  auto idle = store.create(Principal{});
  auto other = store.create(Principal{});
  waitPast(std::max(idle->lastActivity(), other->lastActivity()));
  EXPECT_EQ(store.sweep(std::chrono::milliseconds(0)), 2u);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(idle->closed());
  EXPECT_TRUE(other->closed());
}

TEST(SessionStore, SweepSparesSessionsWithAConnectedStream) {
  SessionStore store(4);
  auto streaming = store.create(Principal{});
  auto stream = std::make_shared<RecordingOutbound>();
  streaming->setNotificationStream(stream);
  auto silent = store.create(Principal{});
  waitPast(std::max(streaming->lastActivity(), silent->lastActivity()));
  EXPECT_EQ(store.sweep(std::chrono::milliseconds(0)), 1u);
  EXPECT_EQ(store.find(streaming->id()), streaming);
  EXPECT_EQ(store.find(silent->id()), nullptr);
}

TEST(SessionStore, SweepClosesIdleSessionsWhoseStreamDisconnected) {
  SessionStore store(4);
  auto s = store.create(Principal{});
  auto stream = std::make_shared<RecordingOutbound>();
  stream->setConnected(false);
  s->setNotificationStream(stream);
  waitPast(s->lastActivity());
  EXPECT_EQ(store.sweep(std::chrono::milliseconds(0)), 1u);
}

TEST(SessionStore, TouchRestartsTheIdleClock) {
  SessionStore store(4);
  auto s = store.create(Principal{});
  const auto before = s->lastActivity();
  waitPast(before);
  s->touch();
  EXPECT_GT(s->lastActivity(), before);
}

TEST(SessionStore, ForEachVisitsEverySession) {
  SessionStore store(4);
  store.create(Principal{});
  store.create(Principal{});
  int visited = 0;
  store.forEach([&](const std::shared_ptr<Session>&) { ++visited; });
  EXPECT_EQ(visited, 2);
}

TEST(SessionStore, CloseAllClosesAndForgetsEverySession) {
  SessionStore store(4);
  auto a = store.create(Principal{});
  auto b = store.create(Principal{});
  store.closeAll();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(a->closed());
  EXPECT_TRUE(b->closed());
}

// ---- negotiated state ---------------------------------------------------------------

TEST(Session, NegotiateStoresVersionAndClientDescription) {
  Session s("id", Principal{});
  EXPECT_FALSE(s.negotiated());
  s.negotiate("2025-06-18", json::parseObject(R"({"roots":{}})"),
              json::parseObject(R"({"name":"c"})"));
  EXPECT_TRUE(s.negotiated());
  EXPECT_EQ(s.version(), "2025-06-18");
  EXPECT_NE(json::getObject(s.clientCapabilities(), "roots"), nullptr);
  EXPECT_EQ(json::getString(s.clientInfo(), "name"), "c");
}

TEST(Session, MissingCapabilitiesBecomeEmptyObjects) {
  Session s("id", Principal{});
  EXPECT_NE(s.clientCapabilities(), nullptr);
  s.negotiate("2025-11-25", nullptr, nullptr);
  ASSERT_NE(s.clientCapabilities(), nullptr);
  EXPECT_EQ(s.clientCapabilities()->size(), 0u);
  ASSERT_NE(s.clientInfo(), nullptr);
}

TEST(Session, SubscriptionsAreTrackedPerUri) {
  Session s("id", Principal{});
  s.subscribe("file:///a");
  EXPECT_TRUE(s.subscribed("file:///a"));
  EXPECT_FALSE(s.subscribed("file:///b"));
  s.unsubscribe("file:///a");
  EXPECT_FALSE(s.subscribed("file:///a"));
}

TEST(Session, LogLevelIsUnsetUntilChosen) {
  Session s("id", Principal{});
  EXPECT_EQ(s.logLevel(), std::nullopt);
  s.setLogLevel(LogLevel::Warning);
  EXPECT_EQ(s.logLevel(), LogLevel::Warning);
}

TEST(Session, RequestIdsIncrease) {
  Session s("id", Principal{});
  const int64_t first = s.nextRequestId();
  EXPECT_EQ(s.nextRequestId(), first + 1);
}

// ---- cancellation of tracked requests ---------------------------------------------------

TEST(Session, CancelSignalsTheTrackedRequest) {
  Session s("id", Principal{});
  auto flag = s.track("n:1");
  auto other = s.track("s:1");
  EXPECT_FALSE(flag->cancelled());
  EXPECT_TRUE(s.cancel("n:1"));
  EXPECT_TRUE(flag->cancelled());
  EXPECT_FALSE(other->cancelled());
}

TEST(Session, CancelOfUnknownOrUntrackedRequestIsFalse) {
  Session s("id", Principal{});
  EXPECT_FALSE(s.cancel("n:9"));
  auto flag = s.track("n:1");
  s.untrack("n:1");
  EXPECT_FALSE(s.cancel("n:1"));
  EXPECT_FALSE(flag->cancelled());
}

TEST(Session, CancellationRunsCallbacksOnce) {
  Cancellation c;
  int calls = 0;
  c.onCancel([&] { ++calls; });
  c.cancel();
  c.cancel();
  EXPECT_EQ(calls, 1);
  c.onCancel([&] { ++calls; });  // already cancelled: runs at once
  EXPECT_EQ(calls, 2);
}

// ---- server-to-client requests ----------------------------------------------------------

TEST(Session, ResolveReplyWakesTheWaitingRequest) {
  Session s("id", Principal{});
  const int64_t id = s.nextRequestId();
  auto pending = s.expectReply(id);
  auto answer = std::async(std::launch::async, [&] { return pending->wait(kWait, nullptr); });
  ASSERT_TRUE(s.resolveReply(replyTo(std::to_string(id))));
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  auto reply = answer.get();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(json::getBool(json::asObject(reply->result), "ok"), true);
}

TEST(Session, ReplyArrivingBeforeTheWaitIsKept) {
  Session s("id", Principal{});
  auto pending = s.expectReply(4);
  ASSERT_TRUE(s.resolveReply(replyTo("4")));
  auto reply = pending->wait(kWait, nullptr);
  ASSERT_TRUE(reply.has_value());
}

TEST(Session, ReplyIsDeliveredOnlyOnce) {
  Session s("id", Principal{});
  s.expectReply(2);
  EXPECT_TRUE(s.resolveReply(replyTo("2")));
  EXPECT_FALSE(s.resolveReply(replyTo("2")));
}

TEST(Session, ReplyWithUnknownOrStringIdIsNotRouted) {
  Session s("id", Principal{});
  s.expectReply(1);
  EXPECT_FALSE(s.resolveReply(replyTo("2")));
  EXPECT_FALSE(s.resolveReply(replyTo("\"1\"")));
}

TEST(Session, ReplyWithAnIdBeyondInt64IsNotRoutedAndDoesNotThrow) {
  Session s("id", Principal{});
  s.expectReply(1);
  const auto reply = replyTo("18446744073709551615");
  ASSERT_TRUE(reply.isResponse());
  bool routed = true;
  EXPECT_NO_THROW(routed = s.resolveReply(reply));
  EXPECT_FALSE(routed);
}

TEST(Session, ForgottenReplyIsNotRouted) {
  Session s("id", Principal{});
  s.expectReply(3);
  s.forgetReply(3);
  EXPECT_FALSE(s.resolveReply(replyTo("3")));
}

TEST(Session, WaitTimesOutWithoutAReply) {
  Session s("id", Principal{});
  auto pending = s.expectReply(1);
  EXPECT_FALSE(pending->wait(std::chrono::milliseconds(1), nullptr).has_value());
}

TEST(Session, CancellationAbandonsTheWait) {
  Session s("id", Principal{});
  auto pending = s.expectReply(1);
  Cancellation cancel;
  auto answer = std::async(std::launch::async, [&] { return pending->wait(kWait, &cancel); });
  cancel.cancel();
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(answer.get().has_value());
}

TEST(Session, AlreadyCancelledRequestDoesNotWait) {
  Session s("id", Principal{});
  auto pending = s.expectReply(1);
  Cancellation cancel;
  cancel.cancel();
  auto answer = std::async(std::launch::async, [&] { return pending->wait(kWait, &cancel); });
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(answer.get().has_value());
}

// ---- close ----------------------------------------------------------------------------

TEST(Session, CloseAbandonsPendingReplies) {
  Session s("id", Principal{});
  auto pending = s.expectReply(s.nextRequestId());
  auto answer = std::async(std::launch::async, [&] { return pending->wait(kWait, nullptr); });
  s.close();
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(answer.get().has_value());
  EXPECT_FALSE(s.resolveReply(replyTo("0")));
}

TEST(Session, CloseCancelsRequestsInFlight) {
  Session s("id", Principal{});
  auto flag = s.track("n:1");
  s.close();
  EXPECT_TRUE(flag->cancelled());
  EXPECT_TRUE(s.closed());
}

TEST(Session, CloseTellsTheAttachmentOnceAndDropsTheStream) {
  Session s("id", Principal{});
  auto attachment = std::make_shared<CountingAttachment>();
  s.setAttachment(attachment);
  s.setNotificationStream(std::make_shared<RecordingOutbound>());
  s.close();
  s.close();
  EXPECT_EQ(attachment->closed.load(), 1);
  EXPECT_EQ(s.attachment(), nullptr);
  EXPECT_EQ(s.notificationStream(), nullptr);
}

}  // namespace
}  // namespace portcullis::mcp
