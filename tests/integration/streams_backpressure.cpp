// Streams under load: a reader that never reads is dropped once its queue
// passes streams.max_queued_bytes (and a healthy reader next to it loses
// nothing), idle streams get heartbeats, and hundreds of open streams hold
// no request threads.

#include <atomic>
#include <cstdio>
#include <thread>

#include "tests/integration/streams_support.hpp"

namespace portcullis::testing::streams {
namespace {

HttpResult triggerToolChange(KeepAliveClient& client, int id) {
  return client.post("/mcp", modernHeaders("tools/call", "test_trigger_tool_change"),
                     modernToolCall(id, "test_trigger_tool_change"));
}

TEST(StreamsBackpressure, ReaderThatNeverReadsIsDroppedAndOthersAreUnaffected) {
  TestGateway gateway(TestGateway::openConfig("streams:\n  max_queued_bytes: 4096\n  history: 16\n"));
  const uint16_t port = gateway.port();

  // The stalled client: a GET stream over a socket with a small receive
  // buffer whose bytes are never read.
  const Session stalledSession = openSession(port);
  RawStream stalled(port, "GET", "/mcp", stalledSession.get(), {}, 4096);
  ASSERT_TRUE(eventually([&] { return openStreams(port) == 1; })) << "the stalled GET stream did not open";

  // A healthy client on another session reads everything as it comes.
  const Session healthySession = openSession(port);
  SseClient healthy(port, "GET", "/mcp", healthySession.get());
  ASSERT_EQ(healthy.status(), 200);
  ASSERT_TRUE(healthy.next(10s));  // priming
  ASSERT_EQ(openStreams(port), 2);

  std::atomic<int> received{0};
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      auto event = healthy.next(200ms);
      if (event && isMethod(*event, "notifications/tools/list_changed")) ++received;
      if (healthy.ended()) break;
    }
  });
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } joiner{stop, reader};

  // Pile up notifications until the stalled stream is dropped.
  KeepAliveClient client(port);
  int sent = 0;
  bool dropped = false;
  const int kMaxTriggers = 100'000;
  const auto deadline = std::chrono::steady_clock::now() + 180s;
  while (sent < kMaxTriggers && std::chrono::steady_clock::now() < deadline) {
    const HttpResult r = triggerToolChange(client, sent);
    ASSERT_EQ(r.status, 200) << r.body;
    ++sent;
    if (sent % 50 != 0) continue;
    if (sent % 500 == 0) {
      // Keep the healthy reader caught up (500 notifications are some 50 KB,
      // far below a socket's buffers), so that on a busy machine it is never
      // the one whose queue overflows: only the stalled one may.
      ASSERT_TRUE(eventually([&] { return received.load() == sent || healthy.ended(); }, 60s))
          << "the healthy reader got " << received.load() << " of " << sent << " notifications";
      ASSERT_FALSE(healthy.ended()) << "the healthy reader was dropped";
    }
    if (openStreams(port) == 1) {
      dropped = true;
      break;
    }
  }
  EXPECT_TRUE(dropped) << "the stalled stream was still open after " << sent << " notifications";
  RecordProperty("notificationsUntilDropped", sent);
  std::printf("stalled stream dropped after %d notifications\n", sent);

  // The healthy reader got every notification, and keeps getting them.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(triggerToolChange(client, sent + i).status, 200);
  sent += 10;
  EXPECT_TRUE(eventually([&] { return received.load() == sent; }, 60s))
      << "the healthy reader got " << received.load() << " of " << sent << " notifications";
  stop = true;
  reader.join();
  EXPECT_FALSE(healthy.ended()) << "the healthy reader was dropped too";
  EXPECT_EQ(openStreams(port), 1);

  // The stalled client, once it reads, finds its connection closed (after
  // the megabytes the kernel buffered: a bigger window makes that quick).
  stalled.growReceiveBuffer();
  EXPECT_TRUE(stalled.readToEnd(180s)) << "the dropped stream's connection was not closed";

  // The server still answers, on the stalled client's session too.
  const HttpResult list = request(port, "POST", "/mcp", stalledSession.post(), rpcRequest(1, "tools/list"));
  EXPECT_EQ(list.status, 200) << list.body;
  const HttpResult ping = request(port, "POST", "/mcp", healthySession.post(), rpcRequest(2, "ping"));
  EXPECT_EQ(ping.status, 200) << ping.body;

  // The dropped session may open a new GET stream.
  SseClient reopened(port, "GET", "/mcp", stalledSession.get());
  EXPECT_EQ(reopened.status(), 200);
}

TEST(StreamsBackpressure, PromptReaderReceivesMessagesLargerThanTheQueueCap) {
  // The cap bounds what waits behind a slow reader; a client that reads
  // promptly must still receive a single message bigger than the cap.
  TestGateway gateway(TestGateway::openConfig("streams:\n  max_queued_bytes: 4096\n"));
  const uint16_t port = gateway.port();
  const std::string big(6000, 'x');

  // A POST stream whose progress notifications and result each exceed the cap.
  const Session session = openSession(port);
  SseClient call(port, "POST", "/mcp", session.post(),
                 toolCall(1, "test_tool_with_progress", Json::object(), {{"progressToken", big}}));
  ASSERT_EQ(call.status(), 200);
  int progress = 0;
  std::optional<Json> result;
  while (auto event = call.next(10s)) {
    if (isMethod(*event, "notifications/progress")) ++progress;
    if (isResponseTo(*event, 1)) result = messageOf(*event);
  }
  EXPECT_EQ(progress, 3) << "progress notifications lost on a stream that was read promptly";
  EXPECT_TRUE(result) << "the result of a promptly read stream was lost";
  if (result) EXPECT_EQ(resultText(*result), big);

  // The legacy /sse stream carrying a large answer.
  SseClient sse(port, "GET", "/sse", {{"Accept", "text/event-stream"}});
  const auto endpoint = sse.next(10s);
  ASSERT_TRUE(endpoint && endpoint->event == "endpoint");
  const Headers json{{"Content-Type", "application/json"}};
  ASSERT_EQ(request(port, "POST", endpoint->data, json,
                    rpcRequest(1, "initialize",
                               {{"protocolVersion", "2024-11-05"},
                                {"capabilities", Json::object()},
                                {"clientInfo", {{"name", "legacy"}, {"version", "1"}}}}))
                .status,
            202);
  ASSERT_TRUE(nextMatching(sse, [](const SseClient::Event& e) { return isResponseTo(e, 1); }, 10s));
  ASSERT_EQ(request(port, "POST", endpoint->data, json, toolCall(2, "demo_echo", {{"text", big}})).status, 202);
  const auto echo = nextMatching(sse, [](const SseClient::Event& e) { return isResponseTo(e, 2); }, 10s);
  ASSERT_TRUE(echo) << "the /sse stream was dropped for one large message";
  EXPECT_EQ(resultText(messageOf(*echo)), big);
}

TEST(StreamsBackpressure, FullStreamTableIsAnsweredNotSilentlyClosed) {
  // streams.max_streams reached: a request that needs a stream gets a clear
  // HTTP answer, and a call whose reply would have become a stream still
  // delivers its result.
  TestGateway gateway(TestGateway::openConfig("streams:\n  max_streams: 1\n"));
  const uint16_t port = gateway.port();

  const Session holder = openSession(port);
  SseClient held(port, "GET", "/mcp", holder.get());
  ASSERT_EQ(held.status(), 200);
  ASSERT_TRUE(held.next(10s));
  ASSERT_EQ(openStreams(port), 1);

  const Session other = openSession(port);
  SseClient refused(port, "GET", "/mcp", other.get());
  EXPECT_EQ(refused.status(), 503) << "a GET beyond streams.max_streams got no HTTP response at all";

  SseClient call(port, "POST", "/mcp", other.post(),
                 toolCall(3, "test_tool_with_progress", Json::object(), {{"progressToken", 3}}));
  EXPECT_NE(call.status(), 0) << "the tools/call got no HTTP response at all";
  std::optional<Json> result;
  if (isEventStream(call.header("Content-Type"))) {
    while (auto event = call.next(10s)) {
      if (isResponseTo(*event, 3)) result = messageOf(*event);
    }
  } else if (call.status() != 0) {
    result = parseJson(call.readAll(10s));
  }
  ASSERT_TRUE(result && result->is_object()) << "the tools/call result was lost";
  EXPECT_EQ(resultText(*result), "3") << result->dump();

  // The server is fine afterwards.
  EXPECT_EQ(request(port, "POST", "/mcp", other.post(), rpcRequest(4, "ping")).status, 200);
}

TEST(StreamsBackpressure, IdleStreamsReceiveKeepaliveComments) {
  TestGateway gateway(TestGateway::openConfig("streams:\n  heartbeat: 200ms\n"));
  const uint16_t port = gateway.port();

  // The session GET stream.
  const Session session = openSession(port);
  RawStream get(port, "GET", "/mcp", session.get());
  ASSERT_TRUE(get.readUntil("retry:", 10s)) << get.data();
  EXPECT_NE(get.data().find("text/event-stream"), std::string::npos) << get.data();
  EXPECT_TRUE(get.readUntil(": keepalive", 10s, 2)) << "no repeated keepalive comments: " << get.data();

  // The legacy /sse stream.
  RawStream legacy(port, "GET", "/sse", {{"Accept", "text/event-stream"}});
  ASSERT_TRUE(legacy.readUntil("event: endpoint", 10s)) << legacy.data();
  EXPECT_TRUE(legacy.readUntil(": keepalive", 10s, 2)) << legacy.data();

  // A 2026-07-28 listen stream.
  RawStream listen(port, "POST", "/mcp", modernHeaders("subscriptions/listen"),
                   rpcRequest(1, "subscriptions/listen",
                              {{"notifications", {{"toolsListChanged", true}}}, {"_meta", modernMeta()}}));
  ASSERT_TRUE(listen.readUntil("notifications/subscriptions/acknowledged", 10s)) << listen.data();
  EXPECT_TRUE(listen.readUntil(": keepalive", 10s, 2)) << listen.data();

  // Heartbeats did not disturb the streams: a change still arrives.
  ASSERT_EQ(request(port, "POST", "/mcp", session.post(), toolCall(2, "test_trigger_tool_change")).status, 200);
  EXPECT_TRUE(get.readUntil("notifications/tools/list_changed", 10s)) << get.data();
  EXPECT_TRUE(listen.readUntil("notifications/tools/list_changed", 10s)) << listen.data();
}

TEST(StreamsBackpressure, HundredsOfIdleStreamsHoldNoRequestThreads) {
  TestGateway gateway(TestGateway::openConfig("server:\n  threads: 4\n"));
  const uint16_t port = gateway.port();
  constexpr int kStreams = 300;

  std::vector<Session> sessions;
  std::vector<std::unique_ptr<SseClient>> streams;
  sessions.reserve(kStreams);
  streams.reserve(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    sessions.push_back(openSession(port));
    streams.push_back(std::make_unique<SseClient>(port, "GET", "/mcp", sessions.back().get()));
    ASSERT_EQ(streams.back()->status(), 200) << "stream " << i;
    ASSERT_TRUE(streams.back()->next(10s)) << "no priming event on stream " << i;
  }
  EXPECT_EQ(openStreams(port), kStreams);
  EXPECT_EQ(readiness(port).value("sessions", -1), kStreams);

  // With 4 request threads and 300 open streams, requests are still served,
  // including several at once.
  const HttpResult list = request(port, "POST", "/mcp", sessions.front().post(), rpcRequest(1, "tools/list"));
  EXPECT_EQ(list.status, 200) << list.body;
  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 5; ++i) {
        const Session& s = sessions[static_cast<size_t>(w * 37 + i) % sessions.size()];
        const HttpResult r = request(port, "POST", "/mcp", s.post(), toolCall(i, "test_simple_text"));
        if (r.status == 200 && resultText(parseJson(r.body)) == "This is a simple text response for testing.") ++ok;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(ok.load(), 40);

  // One change reaches every stream.
  const HttpResult trigger =
      request(port, "POST", "/mcp", sessions.back().post(), toolCall(2, "test_trigger_tool_change"));
  ASSERT_EQ(trigger.status, 200) << trigger.body;
  int delivered = 0;
  for (auto& stream : streams) {
    const auto event = stream->next(10s);
    if (event && isMethod(*event, "notifications/tools/list_changed")) ++delivered;
  }
  EXPECT_EQ(delivered, kStreams);

  // Closing them all releases them.
  for (auto& stream : streams) stream->close();
  EXPECT_TRUE(eventually([&] { return openStreams(port) == 0; }));
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace portcullis::testing::streams
