// Resumable SSE for 2025-11-25 sessions: a POST stream that the server
// closes after its priming event (SEP-1699 polling) is picked up again with
// GET + Last-Event-ID; unknown ids are refused; event ids never repeat
// across the streams of a session.

#include <map>
#include <set>

#include "tests/integration/streams_support.hpp"

namespace portcullis::testing::streams {
namespace {

const char* kReconnected =
    "Reconnection test completed successfully. If you received this, the client properly reconnected after "
    "stream closure.";

// "<stream>_<seq>" split at the last underscore.
std::pair<std::string, uint64_t> splitEventId(const std::string& id) {
  const size_t cut = id.rfind('_');
  if (cut == std::string::npos) return {id, 0};
  return {id.substr(0, cut), std::stoull(id.substr(cut + 1))};
}

TEST(StreamsResumption, ServerClosesAfterPrimingAndLastEventIdDeliversTheResult) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  SseClient post(port, "POST", "/mcp", session.post(), toolCall(42, "test_reconnection"));
  ASSERT_EQ(post.status(), 200);
  ASSERT_TRUE(isEventStream(post.header("Content-Type"))) << post.header("Content-Type").value_or("<none>");

  const auto priming = post.next(10s);
  ASSERT_TRUE(priming) << "no priming event";
  EXPECT_FALSE(priming->id.empty());
  ASSERT_TRUE(priming->retry.has_value());
  EXPECT_GT(*priming->retry, 0);
  EXPECT_TRUE(priming->data.empty()) << priming->data;

  // The server ends this connection without the result.
  const auto early = post.next(10s);
  EXPECT_FALSE(early) << "the POST stream carried more than the priming event: " << early->data;
  EXPECT_TRUE(post.ended()) << "the server did not close the POST connection";

  SseClient resumed(port, "GET", "/mcp", session.get({{"Last-Event-ID", priming->id}}));
  ASSERT_EQ(resumed.status(), 200);
  EXPECT_TRUE(isEventStream(resumed.header("Content-Type")));
  const auto result = resumed.next(10s);
  ASSERT_TRUE(result) << "the resumed stream did not deliver the tools/call result";
  ASSERT_TRUE(isResponseTo(*result, 42)) << result->data;
  EXPECT_EQ(resultText(messageOf(*result)), kReconnected);
  EXPECT_FALSE(result->id.empty());
  EXPECT_NE(result->id, priming->id);
  EXPECT_EQ(splitEventId(result->id).first, splitEventId(priming->id).first)
      << "the result belongs to the stream the priming event named";

  // The response was the last message: the resumed stream ends.
  const auto after = resumed.next(10s);
  EXPECT_FALSE(after) << after->data;
  EXPECT_TRUE(resumed.ended());
}

TEST(StreamsResumption, ConcurrentCallsResumeSeparatelyAndResumingAgainReplays) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  // Two calls in flight on two POST streams; each is resumed separately and
  // gets exactly its own result.
  SseClient a(port, "POST", "/mcp", session.post(), toolCall("a", "test_reconnection"));
  SseClient b(port, "POST", "/mcp", session.post(), toolCall("b", "test_reconnection"));
  ASSERT_EQ(a.status(), 200);
  ASSERT_EQ(b.status(), 200);
  const auto primingA = a.next(10s);
  const auto primingB = b.next(10s);
  ASSERT_TRUE(primingA && primingB);
  EXPECT_NE(splitEventId(primingA->id).first, splitEventId(primingB->id).first);
  // As a client does, reconnect once the server has closed the connections.
  EXPECT_FALSE(a.next(10s));
  EXPECT_FALSE(b.next(10s));
  ASSERT_TRUE(a.ended() && b.ended());

  SseClient resumedB(port, "GET", "/mcp", session.get({{"Last-Event-ID", primingB->id}}));
  SseClient resumedA(port, "GET", "/mcp", session.get({{"Last-Event-ID", primingA->id}}));
  ASSERT_EQ(resumedA.status(), 200);
  ASSERT_EQ(resumedB.status(), 200);
  const auto resultA = resumedA.next(10s);
  const auto resultB = resumedB.next(10s);
  ASSERT_TRUE(resultA && resultB);
  EXPECT_TRUE(isResponseTo(*resultA, "a")) << resultA->data;
  EXPECT_TRUE(isResponseTo(*resultB, "b")) << resultB->data;
  EXPECT_FALSE(resumedA.next(10s));
  EXPECT_FALSE(resumedB.next(10s));

  // Resuming the same stream again replays the stored result.
  SseClient again(port, "GET", "/mcp", session.get({{"Last-Event-ID", primingA->id}}));
  ASSERT_EQ(again.status(), 200);
  const auto replay = again.next(10s);
  ASSERT_TRUE(replay);
  EXPECT_TRUE(isResponseTo(*replay, "a")) << replay->data;
  EXPECT_EQ(replay->id, resultA->id);
}

TEST(StreamsResumption, ClientDisconnectIsNotACancellation) {
  // For the 2025 revisions only notifications/cancelled cancels: a client
  // that loses its POST stream resumes it and gets the rest, result included.
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  auto post = std::make_unique<SseClient>(port, "POST", "/mcp", session.post(),
                                          toolCall(77, "test_tool_with_progress", Json::object(), {{"progressToken", 5}}));
  ASSERT_EQ(post->status(), 200);
  const auto priming = post->next(10s);
  ASSERT_TRUE(priming && priming->data.empty());
  const auto first = post->next(10s);
  ASSERT_TRUE(first && isMethod(*first, "notifications/progress")) << (first ? first->data : "<none>");
  post->close();

  SseClient resumed(port, "GET", "/mcp", session.get({{"Last-Event-ID", first->id}}));
  ASSERT_EQ(resumed.status(), 200);
  int progress = 1;
  std::optional<SseClient::Event> result;
  while (auto event = resumed.next(10s)) {
    EXPECT_NE(event->id, first->id) << "an event before Last-Event-ID was replayed";
    if (isMethod(*event, "notifications/progress")) ++progress;
    if (isResponseTo(*event, 77)) result = event;
  }
  EXPECT_TRUE(resumed.ended());
  EXPECT_EQ(progress, 3);
  ASSERT_TRUE(result) << "the result of a call whose stream the client lost never arrived";
  EXPECT_EQ(resultText(messageOf(*result)), "5");
}

TEST(StreamsResumption, PrimingEventIdCanBeResumedAsSoonAsItArrives) {
  // An event id the client has received must already name a known stream:
  // a resumption sent the moment the priming event arrives is served, not
  // refused. Repeated, because a stream registered only after its priming
  // event went out is unknown for a short moment only.
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  int refused = 0;
  for (int round = 0; round < 2000 && refused == 0; ++round) {
    // test_logging_tool logs before its result, so the reply becomes a
    // stream with a priming event and completes at once.
    SseClient post(port, "POST", "/mcp", session.post(), toolCall(round, "test_logging_tool"));
    ASSERT_EQ(post.status(), 200);
    ASSERT_TRUE(isEventStream(post.header("Content-Type")));
    const auto priming = post.next(10s);
    ASSERT_TRUE(priming && !priming->id.empty() && priming->data.empty());

    SseClient resumed(port, "GET", "/mcp", session.get({{"Last-Event-ID", priming->id}}));
    if (resumed.status() != 200) {
      ++refused;
      ADD_FAILURE() << "round " << round << ": resuming from the priming event id " << priming->id << " got "
                    << resumed.status() << " " << resumed.readAll(5s);
      continue;
    }
    const auto result = nextMatching(resumed, [&](const SseClient::Event& e) { return isResponseTo(e, round); }, 10s);
    EXPECT_TRUE(result) << "round " << round << ": the resumed stream lacks the result";
  }
  EXPECT_EQ(refused, 0);
}

TEST(StreamsResumption, LastEventIdThatBelongsToNoStreamIsRefused) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);
  const Session stranger = openSession(port);

  SseClient own(port, "POST", "/mcp", session.post(), toolCall(1, "test_reconnection"));
  ASSERT_EQ(own.status(), 200);
  const auto priming = own.next(10s);
  ASSERT_TRUE(priming);
  EXPECT_FALSE(own.next(10s));
  ASSERT_TRUE(own.ended());
  const std::string streamId = splitEventId(priming->id).first;

  const std::vector<std::string> foreign = {
      "nosuchstream_1",          // no such stream
      "garbage",                 // not an event id at all
      streamId + "_999999",      // an event the stream never had
      streamId + "_x",           // a malformed sequence number
  };
  for (const auto& id : foreign) {
    SseClient get(port, "GET", "/mcp", session.get({{"Last-Event-ID", id}}));
    EXPECT_EQ(get.status(), 400) << "Last-Event-ID " << id;
  }
  // Another session's event id is foreign too.
  SseClient cross(port, "GET", "/mcp", stranger.get({{"Last-Event-ID", priming->id}}));
  EXPECT_EQ(cross.status(), 400);

  // The owner can still resume.
  SseClient resumed(port, "GET", "/mcp", session.get({{"Last-Event-ID", priming->id}}));
  ASSERT_EQ(resumed.status(), 200);
  const auto result = resumed.next(10s);
  ASSERT_TRUE(result);
  EXPECT_TRUE(isResponseTo(*result, 1)) << result->data;
}

TEST(StreamsResumption, EventIdsAreUniqueAcrossTheSessionsStreams) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port);

  std::vector<std::string> ids;
  std::map<std::string, std::string> streamOf;  // event id -> which connection carried it

  SseClient get(port, "GET", "/mcp", session.get());
  ASSERT_EQ(get.status(), 200);
  const auto getPriming = get.next(10s);
  ASSERT_TRUE(getPriming);
  ids.push_back(getPriming->id);
  streamOf[getPriming->id] = "get";

  // Two calls that stream progress; each POST stream numbers its events.
  for (const std::string name : {"p1", "p2"}) {
    SseClient post(port, "POST", "/mcp", session.post(),
                   toolCall(name, "test_tool_with_progress", Json::object(), {{"progressToken", name}}));
    ASSERT_EQ(post.status(), 200);
    ASSERT_TRUE(isEventStream(post.header("Content-Type")));
    int events = 0;
    bool sawResult = false;
    while (auto event = post.next(10s)) {
      ++events;
      EXPECT_FALSE(event->id.empty()) << "an event on a resumable stream lacks an id: " << event->data;
      ids.push_back(event->id);
      streamOf[event->id] = name;
      if (isResponseTo(*event, name)) sawResult = true;
    }
    EXPECT_TRUE(post.ended());
    EXPECT_TRUE(sawResult);
    EXPECT_GE(events, 5) << "priming + 3 progress notifications + the result";
  }

  // And a notification on the GET stream after those.
  ASSERT_EQ(request(port, "POST", "/mcp", session.post(), toolCall(3, "test_trigger_tool_change")).status, 200);
  const auto changed = get.next(10s);
  ASSERT_TRUE(changed);
  ids.push_back(changed->id);
  streamOf[changed->id] = "get";

  const std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size()) << "an event id was used twice";

  // Ids encode their stream: one stream id per connection, sequences rising.
  std::map<std::string, std::set<std::string>> prefixes;  // connection -> stream ids
  std::map<std::string, uint64_t> lastSeq;
  for (const auto& id : ids) {
    const auto [stream, seq] = splitEventId(id);
    prefixes[streamOf[id]].insert(stream);
    EXPECT_GT(seq, lastSeq[stream]) << id;
    lastSeq[stream] = seq;
  }
  std::set<std::string> allStreams;
  for (const auto& [connection, streams] : prefixes) {
    EXPECT_EQ(streams.size(), 1u) << connection;
    allStreams.insert(streams.begin(), streams.end());
  }
  EXPECT_EQ(allStreams.size(), 3u) << "the GET stream and each POST stream have their own stream id";
}

}  // namespace
}  // namespace portcullis::testing::streams
