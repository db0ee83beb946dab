// 2026-07-28 streams: subscriptions/listen (acknowledgement, filtered and
// tagged change notifications), tools/call replies that turn into SSE only
// when something precedes the result (progress, logs at the requested
// level), and a client closing such a stream early.

#include "tests/integration/streams_support.hpp"

namespace portcullis::testing::streams {
namespace {

const char* kSubscriptionId = "io.modelcontextprotocol/subscriptionId";

std::string listenRequest(const Json& id, const Json& notifications) {
  return rpcRequest(id, "subscriptions/listen", {{"notifications", notifications}, {"_meta", modernMeta()}});
}

Json subscriptionIdOf(const SseClient::Event& event) {
  const Json m = messageOf(event);
  if (!m.is_object() || !m.contains("params") || !m["params"].contains("_meta")) return nullptr;
  return m["params"]["_meta"].value(kSubscriptionId, Json());
}

HttpResult statelessCall(uint16_t port, const Json& id, const std::string& tool, const Json& extraMeta = Json::object()) {
  return request(port, "POST", "/mcp", modernHeaders("tools/call", tool),
                 modernToolCall(id, tool, Json::object(), extraMeta));
}

TEST(StreamsModern, ListenAcknowledgesAndDeliversOnlyWhatWasAskedFor) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();

  SseClient tools(port, "POST", "/mcp", modernHeaders("subscriptions/listen"),
                  listenRequest("sub-tools", {{"toolsListChanged", true}}));
  ASSERT_EQ(tools.status(), 200);
  ASSERT_TRUE(isEventStream(tools.header("Content-Type"))) << tools.header("Content-Type").value_or("<none>");
  const auto ack = tools.next(10s);
  ASSERT_TRUE(ack) << "no acknowledgement on the listen stream";
  EXPECT_TRUE(isMethod(*ack, "notifications/subscriptions/acknowledged")) << ack->data;
  EXPECT_EQ(subscriptionIdOf(*ack), Json("sub-tools")) << ack->data;

  SseClient prompts(port, "POST", "/mcp", modernHeaders("subscriptions/listen"),
                    listenRequest(77, {{"promptsListChanged", true}}));
  ASSERT_EQ(prompts.status(), 200);
  const auto promptsAck = prompts.next(10s);
  ASSERT_TRUE(promptsAck);
  EXPECT_TRUE(isMethod(*promptsAck, "notifications/subscriptions/acknowledged")) << promptsAck->data;
  EXPECT_EQ(subscriptionIdOf(*promptsAck), Json(77)) << promptsAck->data;

  // A stateless call changes the tool list.
  const HttpResult trigger = statelessCall(port, 1, "test_trigger_tool_change");
  ASSERT_EQ(trigger.status, 200) << trigger.body;
  const Json triggerReply = parseJson(trigger.body);
  EXPECT_EQ(resultText(triggerReply), "Mutation triggered");
  EXPECT_EQ(triggerReply["result"].value("resultType", ""), "complete");

  const auto changed = tools.next(10s);
  ASSERT_TRUE(changed) << "notifications/tools/list_changed did not reach the listener";
  EXPECT_TRUE(isMethod(*changed, "notifications/tools/list_changed")) << changed->data;
  EXPECT_EQ(subscriptionIdOf(*changed), Json("sub-tools")) << changed->data;

  // The prompt listener skipped the tool change: the next thing it hears is
  // the prompt change announced after it.
  const HttpResult promptTrigger = statelessCall(port, 2, "test_trigger_prompt_change");
  ASSERT_EQ(promptTrigger.status, 200) << promptTrigger.body;
  const auto promptChanged = prompts.next(10s);
  ASSERT_TRUE(promptChanged);
  EXPECT_TRUE(isMethod(*promptChanged, "notifications/prompts/list_changed"))
      << "a listener that asked only for prompts got: " << promptChanged->data;
  EXPECT_EQ(subscriptionIdOf(*promptChanged), Json(77));

  // And the tool listener skipped the prompt change.
  ASSERT_EQ(statelessCall(port, 3, "test_trigger_tool_change").status, 200);
  const auto toolsAgain = tools.next(10s);
  ASSERT_TRUE(toolsAgain);
  EXPECT_TRUE(isMethod(*toolsAgain, "notifications/tools/list_changed"))
      << "a listener that asked only for tools got: " << toolsAgain->data;

  // Closing a listener removes it; the other keeps working.
  prompts.close();
  ASSERT_TRUE(eventually([&] { return openStreams(port) == 1; }));
  ASSERT_EQ(statelessCall(port, 4, "test_trigger_tool_change").status, 200);
  const auto last = tools.next(10s);
  ASSERT_TRUE(last);
  EXPECT_TRUE(isMethod(*last, "notifications/tools/list_changed")) << last->data;
}

TEST(StreamsModern, ChangeRightAfterTheAcknowledgementIsDelivered) {
  // The acknowledgement promises that the subscription is live: a change
  // made the moment it arrives must reach the listener. Repeated, because a
  // listener registered only after the acknowledgement went out loses such
  // a change only now and then.
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  KeepAliveClient client(port);
  int missed = 0;
  for (int round = 0; round < 2000 && missed == 0; ++round) {
    SseClient listen(port, "POST", "/mcp", modernHeaders("subscriptions/listen"),
                     listenRequest(round, {{"toolsListChanged", true}}));
    ASSERT_EQ(listen.status(), 200);
    const auto ack = listen.next(10s);
    ASSERT_TRUE(ack && isMethod(*ack, "notifications/subscriptions/acknowledged"));
    const HttpResult trigger = client.post("/mcp", modernHeaders("tools/call", "test_trigger_tool_change"),
                                           modernToolCall(round, "test_trigger_tool_change"));
    ASSERT_EQ(trigger.status, 200) << trigger.body;
    const auto changed = listen.next(5s);
    if (!changed || !isMethod(*changed, "notifications/tools/list_changed")) {
      ++missed;
      // Tell a listener that registered late from one that never did.
      const HttpResult again = client.post("/mcp", modernHeaders("tools/call", "test_trigger_tool_change"),
                                           modernToolCall("again", "test_trigger_tool_change"));
      const auto later = again.status == 200 ? listen.next(5s) : std::nullopt;
      const bool lateListener = later && isMethod(*later, "notifications/tools/list_changed");
      ADD_FAILURE() << "round " << round << ": the change made right after the acknowledgement was lost"
                    << (changed ? " (got " + changed->data + ")" : std::string())
                    << (lateListener ? "; a second change did arrive, so the listener was registered only after "
                                       "its acknowledgement had been sent"
                                     : "; a second change did not arrive either");
    }
  }
  EXPECT_EQ(missed, 0);
}

TEST(StreamsModern, ProgressTurnsTheReplyIntoAStream) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();

  SseClient call(port, "POST", "/mcp", modernHeaders("tools/call", "test_tool_with_progress"),
                 modernToolCall(11, "test_tool_with_progress", Json::object(), {{"progressToken", "tok-1"}}));
  ASSERT_EQ(call.status(), 200);
  ASSERT_TRUE(isEventStream(call.header("Content-Type"))) << call.header("Content-Type").value_or("<none>");

  std::vector<double> progress;
  std::optional<Json> result;
  while (auto event = call.next(10s)) {
    const Json m = messageOf(*event);
    ASSERT_TRUE(m.is_object()) << event->data;
    ASSERT_FALSE(result) << "a message after the result: " << event->data;
    if (m.value("method", "") == "notifications/progress") {
      EXPECT_EQ(m["params"].value("progressToken", Json()), Json("tok-1"));
      progress.push_back(m["params"].value("progress", -1.0));
    } else if (isResponseTo(*event, 11)) {
      result = m;
    } else {
      ADD_FAILURE() << "unexpected message: " << event->data;
    }
  }
  EXPECT_TRUE(call.ended());
  ASSERT_GE(progress.size(), 3u);
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GE(progress[i], progress[i - 1]);
  ASSERT_TRUE(result) << "no result on the stream";
  EXPECT_EQ(resultText(*result), "tok-1");
  EXPECT_EQ((*result)["result"].value("resultType", ""), "complete");

  // Without a progress token there is nothing to say before the result.
  const HttpResult plain = statelessCall(port, 12, "test_tool_with_progress");
  ASSERT_EQ(plain.status, 200) << plain.body;
  for (const auto& m : messagesOf(plain)) EXPECT_NE(m.value("method", ""), "notifications/progress") << m.dump();
}

TEST(StreamsModern, LogMessagesFollowTheRequestedLevel) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();

  // No logLevel in _meta: no notifications/message.
  const HttpResult quiet = statelessCall(port, 21, "test_logging_tool");
  ASSERT_EQ(quiet.status, 200) << quiet.body;
  const std::vector<Json> quietMessages = messagesOf(quiet);
  ASSERT_FALSE(quietMessages.empty());
  for (const auto& m : quietMessages) {
    EXPECT_NE(m.value("method", ""), "notifications/message") << "a log message nobody asked for: " << m.dump();
  }
  EXPECT_EQ(resultText(quietMessages.back()), "Logging evaluated");

  // logLevel debug: the info message comes first, on an SSE reply.
  SseClient loud(port, "POST", "/mcp", modernHeaders("tools/call", "test_logging_tool"),
                 modernToolCall(22, "test_logging_tool", Json::object(), {{"io.modelcontextprotocol/logLevel", "debug"}}));
  ASSERT_EQ(loud.status(), 200);
  ASSERT_TRUE(isEventStream(loud.header("Content-Type")));
  const auto log = loud.next(10s);
  ASSERT_TRUE(log);
  ASSERT_TRUE(isMethod(*log, "notifications/message")) << log->data;
  const Json params = messageOf(*log)["params"];
  EXPECT_EQ(params.value("level", ""), "info");
  EXPECT_EQ(params.value("data", Json()), Json("Diagnostic trace logging activated"));
  const auto result = loud.next(10s);
  ASSERT_TRUE(result);
  ASSERT_TRUE(isResponseTo(*result, 22)) << result->data;
  EXPECT_EQ(resultText(messageOf(*result)), "Logging evaluated");
  EXPECT_FALSE(loud.next(10s));
  EXPECT_TRUE(loud.ended());

  // A level above info filters the message out again.
  const HttpResult filtered = statelessCall(port, 23, "test_logging_tool", {{"io.modelcontextprotocol/logLevel", "error"}});
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  for (const auto& m : messagesOf(filtered)) EXPECT_NE(m.value("method", ""), "notifications/message") << m.dump();
}

TEST(StreamsModern, ClosingAToolCallStreamEarlyIsSurvived) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();

  for (int round = 0; round < 3; ++round) {
    SseClient call(port, "POST", "/mcp", modernHeaders("tools/call", "test_tool_with_progress"),
                   modernToolCall(30 + round, "test_tool_with_progress", Json::object(), {{"progressToken", round}}));
    ASSERT_EQ(call.status(), 200);
    const auto first = call.next(10s);
    ASSERT_TRUE(first);
    ASSERT_TRUE(isMethod(*first, "notifications/progress")) << first->data;
    call.close();  // the client gives up: for 2026-07-28 this cancels the call
    ASSERT_TRUE(eventually([&] { return openStreams(port) == 0; })) << "the closed stream was not released";
  }

  // The server is healthy: the same call runs to completion, and others work.
  SseClient call(port, "POST", "/mcp", modernHeaders("tools/call", "test_tool_with_progress"),
                 modernToolCall(40, "test_tool_with_progress", Json::object(), {{"progressToken", 40}}));
  ASSERT_EQ(call.status(), 200);
  const auto result = nextMatching(call, [](const SseClient::Event& e) { return isResponseTo(e, 40); }, 10s);
  ASSERT_TRUE(result);
  EXPECT_EQ(resultText(messageOf(*result)), "40");

  const HttpResult simple = statelessCall(port, 41, "test_simple_text");
  ASSERT_EQ(simple.status, 200) << simple.body;
  EXPECT_EQ(resultText(parseJson(simple.body)), "This is a simple text response for testing.");
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace portcullis::testing::streams
