// Server-to-client requests (sampling, elicitation) for 2025-11-25 sessions:
// sent on the SSE stream of the tools/call POST that caused them, answered by
// the client with a separate POST, refused when the client lacks the
// capability, and abandoned when the client cancels the call.

#include "tests/integration/streams_support.hpp"

namespace portcullis::testing::streams {
namespace {

// Reads the next server-to-client request from `stream`; only priming
// events (no data) may come before it.
std::optional<Json> nextClientRequest(SseClient& stream, const std::string& method) {
  std::vector<SseClient::Event> skipped;
  const auto event = nextMatching(
      stream, [&](const SseClient::Event& e) { return isMethod(e, method); }, 10s, &skipped);
  for (const auto& e : skipped) EXPECT_TRUE(e.data.empty()) << "unexpected event before " << method << ": " << e.data;
  if (!event) return std::nullopt;
  return messageOf(*event);
}

std::string responseTo(const Json& id, const Json& result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump();
}

TEST(StreamsClientRequests, SamplingTravelsOnThePostStreamAndTheAnswerCompletesTheCall) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port, {{"sampling", Json::object()}});

  SseClient call(port, "POST", "/mcp", session.post(),
                 toolCall(5, "test_sampling", {{"prompt", "Test prompt for sampling"}}));
  ASSERT_EQ(call.status(), 200);
  ASSERT_TRUE(isEventStream(call.header("Content-Type")));

  const auto sampling = nextClientRequest(call, "sampling/createMessage");
  ASSERT_TRUE(sampling) << "no sampling/createMessage on the POST stream";
  ASSERT_TRUE(sampling->contains("id"));
  const Json requestId = (*sampling)["id"];
  EXPECT_FALSE(requestId.is_null());
  const Json& params = (*sampling)["params"];
  EXPECT_EQ(params.value("maxTokens", 0), 100);
  ASSERT_TRUE(params.contains("messages") && params["messages"].is_array() && !params["messages"].empty());
  EXPECT_EQ(params["messages"][0]["role"], "user");
  EXPECT_EQ(params["messages"][0]["content"]["text"], "Test prompt for sampling");

  const HttpResult answer = request(
      port, "POST", "/mcp", session.post(),
      responseTo(requestId, {{"role", "assistant"},
                             {"content", {{"type", "text"}, {"text", "This is a test response from the client"}}},
                             {"model", "test-model"},
                             {"stopReason", "endTurn"}}));
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_TRUE(answer.body.empty()) << answer.body;

  const auto result = nextMatching(call, [](const SseClient::Event& e) { return isResponseTo(e, 5); }, 10s);
  ASSERT_TRUE(result) << "the tools/call result did not arrive on the POST stream";
  EXPECT_EQ(resultText(messageOf(*result)), "LLM response: This is a test response from the client");
  EXPECT_FALSE(call.next(10s));
  EXPECT_TRUE(call.ended()) << "the POST stream must end after its response";
}

TEST(StreamsClientRequests, ElicitationTravelsOnThePostStreamAndTheAnswerCompletesTheCall) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port, {{"elicitation", Json::object()}});

  SseClient call(port, "POST", "/mcp", session.post(),
                 toolCall("e-1", "test_elicitation", {{"message", "Please provide your information"}}));
  ASSERT_EQ(call.status(), 200);
  ASSERT_TRUE(isEventStream(call.header("Content-Type")));

  const auto elicitation = nextClientRequest(call, "elicitation/create");
  ASSERT_TRUE(elicitation) << "no elicitation/create on the POST stream";
  const Json requestId = (*elicitation)["id"];
  const Json& params = (*elicitation)["params"];
  EXPECT_EQ(params.value("message", ""), "Please provide your information");
  EXPECT_EQ(params["requestedSchema"].value("type", ""), "object");
  EXPECT_TRUE(params["requestedSchema"]["properties"].contains("username"));

  const HttpResult answer =
      request(port, "POST", "/mcp", session.post(),
              responseTo(requestId, {{"action", "accept"},
                                     {"content", {{"username", "testuser"}, {"email", "test@example.com"}}}}));
  EXPECT_EQ(answer.status, 202) << answer.body;

  const auto result = nextMatching(call, [](const SseClient::Event& e) { return isResponseTo(e, "e-1"); }, 10s);
  ASSERT_TRUE(result) << "the tools/call result did not arrive on the POST stream";
  const std::string text = resultText(messageOf(*result));
  EXPECT_NE(text.find("action=accept"), std::string::npos) << text;
  EXPECT_NE(text.find("testuser"), std::string::npos) << text;
  EXPECT_NE(text.find("test@example.com"), std::string::npos) << text;
  EXPECT_FALSE(call.next(10s));
  EXPECT_TRUE(call.ended());
}

TEST(StreamsClientRequests, WithoutTheCapabilityTheCallFailsInsteadOfAsking) {
  // A short client-request timeout, so a server that asked anyway would be
  // answered (with a timeout) before the test's HTTP read gives up.
  TestGateway gateway(TestGateway::openConfig("sessions:\n  client_request_timeout: 5s\n"));
  const uint16_t port = gateway.port();
  const Session session = openSession(port, Json::object());

  const HttpResult reply =
      request(port, "POST", "/mcp", session.post(), toolCall(6, "test_sampling", {{"prompt", "hello"}}));
  ASSERT_EQ(reply.status, 200) << reply.body;
  const std::vector<Json> messages = messagesOf(reply);
  ASSERT_FALSE(messages.empty());
  for (const auto& m : messages) {
    EXPECT_NE(m.value("method", ""), "sampling/createMessage") << "the server asked a client that cannot sample";
  }
  const Json& last = messages.back();
  EXPECT_EQ(last.value("id", Json()), Json(6)) << last.dump();
  const bool jsonRpcError = last.contains("error");
  const bool toolError = last.contains("result") && last["result"].value("isError", false);
  EXPECT_TRUE(jsonRpcError || toolError) << last.dump();

  // Elicitation likewise.
  const HttpResult elicit =
      request(port, "POST", "/mcp", session.post(), toolCall(7, "test_elicitation", {{"message", "hi"}}));
  ASSERT_EQ(elicit.status, 200) << elicit.body;
  const std::vector<Json> elicitMessages = messagesOf(elicit);
  ASSERT_FALSE(elicitMessages.empty());
  for (const auto& m : elicitMessages) EXPECT_NE(m.value("method", ""), "elicitation/create");
  const Json& elicitLast = elicitMessages.back();
  EXPECT_TRUE(elicitLast.contains("error") ||
              (elicitLast.contains("result") && elicitLast["result"].value("isError", false)))
      << elicitLast.dump();
}

TEST(StreamsClientRequests, CancellingTheCallStopsTheWaitAndSendsNoResponse) {
  // The default client-request timeout (60 s) is far beyond the bound below:
  // the stream can only end in time because of the cancellation.
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();
  const Session session = openSession(port, {{"sampling", Json::object()}});

  SseClient call(port, "POST", "/mcp", session.post(), toolCall(9, "test_sampling", {{"prompt", "never mind"}}));
  ASSERT_EQ(call.status(), 200);
  const auto sampling = nextClientRequest(call, "sampling/createMessage");
  ASSERT_TRUE(sampling);

  const HttpResult cancel =
      request(port, "POST", "/mcp", session.post(),
              rpcNotification("notifications/cancelled", {{"requestId", 9}, {"reason", "the user changed their mind"}}));
  EXPECT_EQ(cancel.status, 202) << cancel.body;

  // Whatever still arrives, it is not a response to the cancelled call, and
  // the stream ends well before the client-request timeout.
  std::vector<SseClient::Event> rest;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    auto event = call.next(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()));
    if (!event) break;
    rest.push_back(*event);
  }
  EXPECT_TRUE(call.ended()) << "the server kept waiting for the client after the call was cancelled";
  for (const auto& e : rest) EXPECT_FALSE(isResponseTo(e, 9)) << "a cancelled call was answered: " << e.data;

  // A late answer to the abandoned request is accepted and ignored.
  const HttpResult late = request(
      port, "POST", "/mcp", session.post(),
      responseTo((*sampling)["id"], {{"role", "assistant"},
                                     {"content", {{"type", "text"}, {"text", "too late"}}},
                                     {"model", "test-model"}}));
  EXPECT_EQ(late.status, 202) << late.body;

  // The session goes on working.
  const HttpResult ping = request(port, "POST", "/mcp", session.post(), rpcRequest(10, "ping"));
  ASSERT_EQ(ping.status, 200) << ping.body;
  EXPECT_EQ(parseJson(ping.body).value("result", Json()), Json::object());
}

}  // namespace
}  // namespace portcullis::testing::streams
