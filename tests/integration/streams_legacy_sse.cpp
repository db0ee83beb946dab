// The 2024-11-05 HTTP+SSE transport: GET /sse announces where to POST, the
// POSTs are accepted with 202 and every answer travels on the /sse stream,
// and the stream is the session (closing it ends the session).

#include "tests/integration/streams_support.hpp"

namespace portcullis::testing::streams {
namespace {

const Headers kSseHeaders{{"Accept", "text/event-stream"}};
const Headers kJson{{"Content-Type", "application/json"}};

std::string initializeRequest(const Json& id) {
  return rpcRequest(id, "initialize",
                    {{"protocolVersion", "2024-11-05"},
                     {"capabilities", Json::object()},
                     {"clientInfo", {{"name", "legacy-client"}, {"version", "0.1"}}}});
}

// Opens /sse and returns the endpoint the server announced.
std::string endpointOf(SseClient& sse) {
  EXPECT_EQ(sse.status(), 200);
  EXPECT_TRUE(isEventStream(sse.header("Content-Type"))) << sse.header("Content-Type").value_or("<none>");
  const auto endpoint = sse.next(10s);
  if (!endpoint) {
    ADD_FAILURE() << "no endpoint event on /sse";
    return {};
  }
  EXPECT_EQ(endpoint->event, "endpoint");
  EXPECT_EQ(endpoint->data.rfind("/messages?sessionId=", 0), 0u) << endpoint->data;
  EXPECT_GT(endpoint->data.size(), std::string("/messages?sessionId=").size());
  return endpoint->data;
}

// POSTs `body` to the announced endpoint and reads the answer from /sse.
Json exchange(uint16_t port, SseClient& sse, const std::string& endpoint, const Json& id, const std::string& body) {
  const HttpResult posted = request(port, "POST", endpoint, kJson, body);
  EXPECT_EQ(posted.status, 202) << posted.body;
  const auto event = nextMatching(sse, [&](const SseClient::Event& e) { return isResponseTo(e, id); }, 10s);
  if (!event) {
    ADD_FAILURE() << "no answer to " << body << " on /sse";
    return nullptr;
  }
  EXPECT_EQ(event->event, "message");
  return messageOf(*event);
}

TEST(StreamsLegacySse, AnswersTravelOnTheSseStream) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();

  SseClient sse(port, "GET", "/sse", kSseHeaders);
  const std::string endpoint = endpointOf(sse);
  ASSERT_FALSE(endpoint.empty());

  const Json init = exchange(port, sse, endpoint, 1, initializeRequest(1));
  ASSERT_TRUE(init.is_object());
  ASSERT_TRUE(init.contains("result")) << init.dump();
  EXPECT_EQ(init["result"].value("protocolVersion", ""), "2024-11-05");
  EXPECT_TRUE(init["result"].contains("serverInfo"));

  const HttpResult initialized = request(port, "POST", endpoint, kJson, rpcNotification("notifications/initialized"));
  EXPECT_EQ(initialized.status, 202) << initialized.body;

  const Json list = exchange(port, sse, endpoint, 2, rpcRequest(2, "tools/list"));
  ASSERT_TRUE(list.is_object() && list.contains("result")) << list.dump();
  bool found = false;
  for (const auto& tool : list["result"].value("tools", Json::array())) {
    if (tool.value("name", "") == "test_simple_text") found = true;
  }
  EXPECT_TRUE(found) << "tools/list lacks test_simple_text";

  const Json call = exchange(port, sse, endpoint, 3, toolCall(3, "test_simple_text"));
  EXPECT_EQ(resultText(call), "This is a simple text response for testing.") << call.dump();

  // A change announced during a call reaches the /sse stream as well, before
  // or after the call's answer (the feed announces on a thread of its own).
  const HttpResult trigger = request(port, "POST", endpoint, kJson, toolCall(4, "test_trigger_tool_change"));
  EXPECT_EQ(trigger.status, 202);
  std::vector<SseClient::Event> before;
  const auto answered =
      nextMatching(sse, [](const SseClient::Event& e) { return isResponseTo(e, 4); }, 10s, &before);
  ASSERT_TRUE(answered);
  bool announced = false;
  for (const auto& e : before) announced = announced || isMethod(e, "notifications/tools/list_changed");
  if (!announced) {
    announced = nextMatching(sse, [](const SseClient::Event& e) { return isMethod(e, "notifications/tools/list_changed"); },
                             10s, nullptr)
                    .has_value();
  }
  EXPECT_TRUE(announced) << "notifications/tools/list_changed did not reach the /sse stream";
}

TEST(StreamsLegacySse, UnknownSessionIsNotFound) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();

  const HttpResult unknown =
      request(port, "POST", "/messages?sessionId=0123456789abcdef0123456789abcdef", kJson, rpcRequest(1, "ping"));
  EXPECT_EQ(unknown.status, 404) << unknown.body;

  const HttpResult missing = request(port, "POST", "/messages", kJson, rpcRequest(1, "ping"));
  EXPECT_EQ(missing.status, 400) << missing.body;

  // A session of the Streamable HTTP transport is no /sse session.
  const Session streamable = openSession(port);
  const HttpResult wrongKind =
      request(port, "POST", "/messages?sessionId=" + streamable.id, kJson, rpcRequest(1, "ping"));
  EXPECT_EQ(wrongKind.status, 404) << wrongKind.body;

  // Even while that session has its GET stream open: /messages must not
  // route answers onto a Streamable HTTP GET stream, which carries no
  // responses.
  SseClient get(port, "GET", "/mcp", streamable.get());
  ASSERT_EQ(get.status(), 200);
  ASSERT_TRUE(get.next(10s));  // priming
  const HttpResult crossed =
      request(port, "POST", "/messages?sessionId=" + streamable.id, kJson, rpcRequest(2, "ping"));
  EXPECT_EQ(crossed.status, 404) << crossed.body;
  if (crossed.status == 202) {
    const auto leaked = get.next(5s);
    EXPECT_FALSE(leaked && isResponseTo(*leaked, 2))
        << "the answer to a /messages POST went onto the session's GET stream: " << leaked->data;
  }
}

TEST(StreamsLegacySse, ClosingTheStreamEndsTheSession) {
  TestGateway gateway(TestGateway::openConfig());
  const uint16_t port = gateway.port();

  auto sse = std::make_unique<SseClient>(port, "GET", "/sse", kSseHeaders);
  const std::string endpoint = endpointOf(*sse);
  ASSERT_FALSE(endpoint.empty());
  const Json init = exchange(port, *sse, endpoint, 1, initializeRequest(1));
  ASSERT_TRUE(init.contains("result")) << init.dump();
  ASSERT_EQ(openStreams(port), 1);
  ASSERT_EQ(readiness(port).value("sessions", -1), 1);

  sse->close();
  ASSERT_TRUE(eventually([&] { return openStreams(port) == 0; })) << "the server did not notice the closed /sse";
  EXPECT_TRUE(eventually([&] { return readiness(port).value("sessions", -1) == 0; }))
      << "the session outlived its /sse stream";

  const HttpResult after = request(port, "POST", endpoint, kJson, rpcRequest(2, "ping"));
  EXPECT_EQ(after.status, 404) << after.body;
}

}  // namespace
}  // namespace portcullis::testing::streams
