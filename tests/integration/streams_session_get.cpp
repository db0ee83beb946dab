// The standalone GET stream of a 2025-11-25 session: how it opens, what it
// carries, that a session has at most one, and that closing it frees the
// slot for the next one.

#include <set>

#include "tests/integration/streams_support.hpp"

namespace portcullis::testing::streams {
namespace {

TEST(StreamsSessionGet, OpensWithPrimingEventAndCarriesListChanged) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);
  ASSERT_EQ(session.version, kLatestLegacy);

  SseClient get(port, "GET", "/mcp", session.get());
  ASSERT_EQ(get.status(), 200);
  EXPECT_TRUE(isEventStream(get.header("Content-Type"))) << get.header("Content-Type").value_or("<none>");

  // Priming: an id, a retry hint and no data.
  const auto priming = get.next(10s);
  ASSERT_TRUE(priming) << "no priming event on the GET stream";
  EXPECT_FALSE(priming->id.empty());
  ASSERT_TRUE(priming->retry.has_value());
  EXPECT_GT(*priming->retry, 0);
  EXPECT_TRUE(priming->data.empty()) << priming->data;

  // A change announced by a call on another connection reaches the stream;
  // the call itself is answered with plain JSON.
  const HttpResult trigger =
      request(port, "POST", "/mcp", session.post(), toolCall(7, "test_trigger_tool_change"));
  ASSERT_EQ(trigger.status, 200) << trigger.body;
  EXPECT_FALSE(isEventStream(trigger.header("Content-Type")));
  EXPECT_EQ(resultText(parseJson(trigger.body)), "Mutation triggered");

  const auto changed = get.next(10s);
  ASSERT_TRUE(changed) << "notifications/tools/list_changed did not arrive on the GET stream";
  EXPECT_TRUE(isMethod(*changed, "notifications/tools/list_changed")) << changed->data;
  EXPECT_EQ(changed->event, "message");
  EXPECT_FALSE(changed->id.empty());
  EXPECT_NE(changed->id, priming->id);
  EXPECT_FALSE(messageOf(*changed).contains("id")) << "a notification must not carry an id";

  // A change announced by a different session reaches this one as well.
  const Session other = openSession(port);
  const HttpResult otherTrigger =
      request(port, "POST", "/mcp", other.post(), toolCall(8, "test_trigger_tool_change"));
  ASSERT_EQ(otherTrigger.status, 200) << otherTrigger.body;
  const auto again = get.next(10s);
  ASSERT_TRUE(again);
  EXPECT_TRUE(isMethod(*again, "notifications/tools/list_changed")) << again->data;
}

TEST(StreamsSessionGet, SecondPlainGetIsRefusedWhileTheFirstIsOpen) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  SseClient first(port, "GET", "/mcp", session.get());
  ASSERT_EQ(first.status(), 200);
  ASSERT_TRUE(first.next(10s));

  SseClient second(port, "GET", "/mcp", session.get());
  EXPECT_EQ(second.status(), 409);
  EXPECT_FALSE(isEventStream(second.header("Content-Type")));

  // The refusal left the first stream working.
  const HttpResult trigger =
      request(port, "POST", "/mcp", session.post(), toolCall(1, "test_trigger_tool_change"));
  ASSERT_EQ(trigger.status, 200) << trigger.body;
  const auto changed = first.next(10s);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(isMethod(*changed, "notifications/tools/list_changed")) << changed->data;
}

TEST(StreamsSessionGet, ClosedStreamIsMarkedDisconnectedAndANewGetIsAllowed) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  auto first = std::make_unique<SseClient>(port, "GET", "/mcp", session.get());
  ASSERT_EQ(first->status(), 200);
  const auto firstPriming = first->next(10s);
  ASSERT_TRUE(firstPriming);
  ASSERT_TRUE(eventually([&] { return openStreams(port) == 1; }));

  first->close();
  ASSERT_TRUE(eventually([&] { return openStreams(port) == 0; }))
      << "the server did not notice that the client closed its GET stream";

  SseClient next(port, "GET", "/mcp", session.get());
  ASSERT_EQ(next.status(), 200) << "a new GET after the old one closed must not be refused";
  const auto priming = next.next(10s);
  ASSERT_TRUE(priming);
  EXPECT_FALSE(priming->id.empty());
  EXPECT_NE(priming->id, firstPriming->id);

  const HttpResult trigger =
      request(port, "POST", "/mcp", session.post(), toolCall(2, "test_trigger_tool_change"));
  ASSERT_EQ(trigger.status, 200) << trigger.body;
  const auto changed = next.next(10s);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(isMethod(*changed, "notifications/tools/list_changed")) << changed->data;
}

TEST(StreamsSessionGet, DeletingTheSessionEndsItsGetStream) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  SseClient get(port, "GET", "/mcp", session.get());
  ASSERT_EQ(get.status(), 200);
  ASSERT_TRUE(get.next(10s));

  const HttpResult removed = request(port, "DELETE", "/mcp", {{"Mcp-Session-Id", session.id}});
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_FALSE(get.next(10s));
  EXPECT_TRUE(get.ended()) << "the GET stream outlived its session";
  EXPECT_TRUE(eventually([&] { return openStreams(port) == 0; }));

  SseClient after(port, "GET", "/mcp", session.get());
  EXPECT_EQ(after.status(), 404);
}

TEST(StreamsSessionGet, ResumingTheGetStreamReplaysWhatFollowedTheLastEventId) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  SseClient get(port, "GET", "/mcp", session.get());
  ASSERT_EQ(get.status(), 200);
  const auto priming = get.next(10s);
  ASSERT_TRUE(priming);

  for (int i = 0; i < 2; ++i) {
    const HttpResult trigger =
        request(port, "POST", "/mcp", session.post(), toolCall(10 + i, "test_trigger_tool_change"));
    ASSERT_EQ(trigger.status, 200) << trigger.body;
  }
  const auto one = get.next(10s);
  const auto two = get.next(10s);
  ASSERT_TRUE(one && two);

  // A GET with Last-Event-ID is a resumption, not a second stream: it is
  // served while the first connection is still open, and replays what came
  // after the given event, with the same ids.
  SseClient resumed(port, "GET", "/mcp", session.get({{"Last-Event-ID", one->id}}));
  ASSERT_EQ(resumed.status(), 200);
  const auto replayed = resumed.next(10s);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->id, two->id);
  EXPECT_TRUE(isMethod(*replayed, "notifications/tools/list_changed")) << replayed->data;
}

}  // namespace
}  // namespace portcullis::testing::streams
