// Tools end to end over real HTTP (demo and conformance plugins plus the
// built-in whoami): listing, calling, progress over an SSE response, plain
// JSON replies on a kept-alive connection, and the health endpoints.

#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "tests/integration/http_support.hpp"

namespace portcullis::testing::http {
namespace {

class integration_http_Tools : public ::testing::Test {
 protected:
  // Heartbeats are pushed out of reach so that an event the server fails to
  // flush shows as a missing event, not as one that comes with a keepalive.
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig("streams:\n  heartbeat: 10m\n"));
  }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }

  inline static std::unique_ptr<TestGateway> gateway_;
};

json::ArrayPtr listTools(const LegacySession& s) {
  const HttpResult r = s.post(rpcRequest("\"list\"", "tools/list"));
  EXPECT_EQ(r.status, 200) << r.body;
  json::ArrayPtr tools = json::getArray(resultOf(r.body, "\"list\""), "tools");
  EXPECT_TRUE(tools) << r.body;
  return tools ? tools : json::makeArray();
}

// ---------------------------------------------------------------------------
// tools/list and tools/call

TEST_F(integration_http_Tools, DemoEchoReturnsTheText) {
  const LegacySession s = openSession(port());
  const HttpResult r =
      s.post(rpcRequest("1", "tools/call", R"({"name":"demo_echo","arguments":{"text":"Hello, \u4e16\u754c \"quoted\""}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(isJsonResponse(r));
  const json::ObjectPtr result = resultOf(r.body, "1");
  EXPECT_EQ(firstText(result), "Hello, \xe4\xb8\x96\xe7\x95\x8c \"quoted\"");
  EXPECT_NE(json::getBool(result, "isError"), std::optional<bool>(true));
  EXPECT_FALSE(result->has("resultType")) << "2025 results carry no resultType";
}

TEST_F(integration_http_Tools, DemoEchoWithInvalidArgumentsIsAToolError) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("2", "tools/call", R"({"name":"demo_echo","arguments":{"text":5}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::ObjectPtr result = resultOf(r.body, "2");
  EXPECT_EQ(json::getBool(result, "isError"), std::optional<bool>(true)) << r.body;
  EXPECT_FALSE(firstText(result).empty());
}

TEST_F(integration_http_Tools, ToolWithoutArgumentsMemberWorks) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("3", "tools/call", R"({"name":"test_simple_text"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(firstText(resultOf(r.body, "3")).empty());
}

TEST_F(integration_http_Tools, WhoamiIsListedAndAnswers) {
  const LegacySession s = openSession(port());
  const json::ArrayPtr tools = listTools(s);
  bool listed = false;
  for (size_t i = 0; i < tools->size(); ++i) {
    if (json::getString(json::asObject(tools->get(i)), "name") == std::optional<std::string>("whoami")) listed = true;
  }
  EXPECT_TRUE(listed);

  const HttpResult r = s.post(rpcRequest("4", "tools/call", R"({"name":"whoami","arguments":{}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::ObjectPtr result = resultOf(r.body, "4");
  EXPECT_NE(json::getBool(result, "isError"), std::optional<bool>(true)) << r.body;
  EXPECT_FALSE(firstText(result).empty());
  const json::ObjectPtr who = json::getObject(result, "structuredContent");
  ASSERT_TRUE(who) << r.body;
  EXPECT_EQ(json::getString(who, "protocolVersion"), std::optional<std::string>(s.version)) << r.body;
  const json::ObjectPtr client = json::getObject(who, "clientInfo");
  ASSERT_TRUE(client) << r.body;
  EXPECT_EQ(json::getString(client, "name"), std::optional<std::string>("portcullis-http-tests"));
  const auto visible = json::getInt(who, "visibleTools");
  ASSERT_TRUE(visible) << r.body;
  EXPECT_EQ(static_cast<size_t>(*visible), tools->size());
}

TEST_F(integration_http_Tools, WhoamiAnswersStatelessRequestsToo) {
  const HttpResult r = request(port(), "POST", "/mcp", modernHeaders("tools/call", "whoami"),
                               modernRequest("5", "tools/call", R"({"name":"whoami"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::ObjectPtr who = json::getObject(resultOf(r.body, "5"), "structuredContent");
  ASSERT_TRUE(who) << r.body;
  EXPECT_EQ(json::getString(who, "protocolVersion"), std::optional<std::string>(kModern));
}

TEST_F(integration_http_Tools, EveryListedToolIsWellFormed) {
  const LegacySession s = openSession(port());
  const json::ArrayPtr tools = listTools(s);
  ASSERT_GT(tools->size(), 3u);
  const std::regex nameSyntax("^[A-Za-z0-9_./-]{1,64}$");
  std::set<std::string> names;
  for (size_t i = 0; i < tools->size(); ++i) {
    const json::ObjectPtr tool = json::asObject(tools->get(i));
    ASSERT_TRUE(tool);
    const std::string name = json::getString(tool, "name").value_or("");
    SCOPED_TRACE(name);
    EXPECT_TRUE(std::regex_match(name, nameSyntax));
    EXPECT_TRUE(names.insert(name).second) << "duplicate tool name";
    const auto description = json::getString(tool, "description");
    ASSERT_TRUE(description);
    EXPECT_FALSE(description->empty());
    const json::ObjectPtr schema = json::getObject(tool, "inputSchema");
    ASSERT_TRUE(schema) << json::stringify(tool);
    EXPECT_EQ(json::getString(schema, "type"), std::optional<std::string>("object"));
    if (schema->has("properties")) {
      const json::ObjectPtr properties = json::getObject(schema, "properties");
      ASSERT_TRUE(properties);
      std::vector<std::string> keys;
      properties->getNames(keys);
      for (const auto& key : keys) EXPECT_TRUE(json::isObject(properties->get(key))) << key;
    }
    if (tool->has("outputSchema")) {
      EXPECT_EQ(json::getString(json::getObject(tool, "outputSchema"), "type"), std::optional<std::string>("object"));
    }
  }
  EXPECT_TRUE(names.count("demo_echo"));
  EXPECT_TRUE(names.count("test_tool_with_progress"));
}

// ---------------------------------------------------------------------------
// Progress over SSE

TEST_F(integration_http_Tools, ProgressToolStreamsSseWithPrimingFirst) {
  const LegacySession s = openSession(port());
  ASSERT_EQ(s.version, "2025-11-25");
  SseReader stream(port(), "POST", "/mcp", s.headers(),
                   rpcRequest("\"p-1\"", "tools/call",
                              R"({"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"tok-1"}})"));
  ASSERT_EQ(stream.status(), 200);
  EXPECT_TRUE(common::startsWith(common::toLower(stream.header("Content-Type").value_or("")), "text/event-stream"))
      << stream.header("Content-Type").value_or("<none>");

  // Priming: an id, a retry and no data, before anything else.
  const auto priming = stream.next(std::chrono::seconds(30));
  ASSERT_TRUE(priming);
  EXPECT_FALSE(priming->id.empty());
  EXPECT_TRUE(priming->retry);
  EXPECT_TRUE(priming->data.empty()) << priming->data;

  std::set<std::string> ids{priming->id};
  double lastProgress = -1;
  int progressEvents = 0;
  json::ObjectPtr response;
  while (auto event = stream.next(std::chrono::seconds(30))) {
    if (event->data.empty()) continue;
    EXPECT_FALSE(event->id.empty()) << "events of a resumable stream carry ids";
    EXPECT_TRUE(ids.insert(event->id).second) << "event id reused: " << event->id;
    const json::ObjectPtr message = object(event->data);
    if (message->has("method")) {
      ASSERT_FALSE(response) << "a notification after the response: " << event->data;
      EXPECT_EQ(json::getString(message, "method"), std::optional<std::string>("notifications/progress"));
      const json::ObjectPtr params = json::getObject(message, "params");
      ASSERT_TRUE(params);
      EXPECT_EQ(json::getString(params, "progressToken"), std::optional<std::string>("tok-1"));
      const auto progress = json::getNumber(params, "progress");
      ASSERT_TRUE(progress);
      EXPECT_GT(*progress, lastProgress) << "progress must increase";
      lastProgress = *progress;
      ++progressEvents;
    } else {
      response = message;
      EXPECT_EQ(firstText(resultOf(event->data, "\"p-1\"")), "tok-1");
    }
  }
  EXPECT_GE(progressEvents, 2);
  ASSERT_TRUE(response) << "no response arrived";
  EXPECT_TRUE(stream.ended()) << "the stream ends after the response";
}

TEST_F(integration_http_Tools, IntegerProgressTokenKeepsItsType) {
  const LegacySession s = openSession(port());
  SseReader stream(port(), "POST", "/mcp", s.headers(),
                   rpcRequest("9", "tools/call",
                              R"({"name":"test_tool_with_progress","_meta":{"progressToken":77}})"));
  ASSERT_EQ(stream.status(), 200);
  bool sawProgress = false;
  bool sawResponse = false;
  while (auto event = stream.next(std::chrono::seconds(30))) {
    if (event->data.empty()) continue;
    const json::ObjectPtr message = object(event->data);
    if (message->has("method")) {
      const json::ObjectPtr params = json::getObject(message, "params");
      EXPECT_EQ(json::getInt(params, "progressToken"), std::optional<int64_t>(77)) << event->data;
      sawProgress = true;
    } else {
      EXPECT_EQ(firstText(resultOf(event->data, "9")), "77");
      sawResponse = true;
    }
  }
  EXPECT_TRUE(sawProgress);
  EXPECT_TRUE(sawResponse);
}

TEST_F(integration_http_Tools, OlderSessionsGetNoPrimingEvent) {
  const LegacySession s = openSession(port(), "2025-06-18");
  ASSERT_EQ(s.version, "2025-06-18");
  SseReader stream(port(), "POST", "/mcp", s.headers(),
                   rpcRequest("10", "tools/call",
                              R"({"name":"test_tool_with_progress","_meta":{"progressToken":"t"}})"));
  ASSERT_EQ(stream.status(), 200);
  const auto first = stream.next(std::chrono::seconds(30));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->data.empty()) << "2025-06-18 clients may not cope with an empty event";
  EXPECT_EQ(json::getString(object(first->data), "method"), std::optional<std::string>("notifications/progress"));
}

// ---------------------------------------------------------------------------
// Plain JSON on a kept-alive connection

struct PostExchange {
  int status = 0;
  std::string contentType;
  bool keepAlive = false;
  std::string body;
};

PostExchange postOn(Poco::Net::HTTPClientSession& client, uint16_t port, const Headers& headers,
                const std::string& body) {
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/mcp", Poco::Net::HTTPMessage::HTTP_1_1);
  req.setHost("127.0.0.1", port);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.setKeepAlive(true);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  client.sendRequest(req) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = client.receiveResponse(response);
  std::ostringstream out;
  Poco::StreamCopier::copyStream(in, out);
  return {static_cast<int>(response.getStatus()), response.getContentType(), response.getKeepAlive(), out.str()};
}

TEST_F(integration_http_Tools, PlainCallIsJsonAndKeepsTheConnection) {
  const LegacySession s = openSession(port());
  Poco::Net::HTTPClientSession client("127.0.0.1", port());
  client.setTimeout(Poco::Timespan(30, 0));
  client.setKeepAlive(true);
  client.setKeepAliveTimeout(Poco::Timespan(600, 0));

  // The progress tool without a progress token has nothing to stream.
  const PostExchange first = postOn(client, port(), s.headers(),
                                rpcRequest("1", "tools/call", R"({"name":"test_tool_with_progress","arguments":{}})"));
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_TRUE(common::startsWith(first.contentType, "application/json")) << first.contentType;
  EXPECT_TRUE(first.keepAlive);
  resultOf(first.body, "1");
  const auto localPort = client.socket().address().port();

  const PostExchange second =
      postOn(client, port(), s.headers(), rpcRequest("2", "tools/call", R"({"name":"demo_echo","arguments":{"text":"again"}})"));
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_TRUE(common::startsWith(second.contentType, "application/json"));
  EXPECT_EQ(firstText(resultOf(second.body, "2")), "again");
  EXPECT_EQ(client.socket().address().port(), localPort) << "the second request used a new connection";

  // A 2026-07-28 request on the same connection too.
  const PostExchange third = postOn(client, port(), modernHeaders("tools/call", "demo_echo"),
                                modernRequest("3", "tools/call", R"({"name":"demo_echo","arguments":{"text":"modern"}})"));
  EXPECT_EQ(third.status, 200) << third.body;
  EXPECT_EQ(firstText(resultOf(third.body, "3")), "modern");
  EXPECT_EQ(client.socket().address().port(), localPort);
}

TEST_F(integration_http_Tools, ErrorRepliesKeepTheConnectionToo) {
  const LegacySession s = openSession(port());
  Poco::Net::HTTPClientSession client("127.0.0.1", port());
  client.setTimeout(Poco::Timespan(30, 0));
  client.setKeepAlive(true);
  client.setKeepAliveTimeout(Poco::Timespan(600, 0));
  const PostExchange bad = postOn(client, port(), s.headers(), "{");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.keepAlive) << "the body was read entirely; nothing forces a close";
  const auto localPort = client.socket().address().port();
  const PostExchange good = postOn(client, port(), s.headers(), rpcRequest("1", "ping"));
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(client.socket().address().port(), localPort);
}

// ---------------------------------------------------------------------------
// Health and unknown paths

TEST_F(integration_http_Tools, HealthzAndReadyzAnswerJson) {
  const HttpResult health = request(port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(isJsonResponse(health));
  EXPECT_EQ(json::getString(object(health.body), "status"), std::optional<std::string>("ok"));

  const HttpResult ready = request(port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_TRUE(isJsonResponse(ready));
  const json::ObjectPtr readiness = object(ready.body);
  EXPECT_EQ(json::getString(readiness, "status"), std::optional<std::string>("ready"));
}

TEST_F(integration_http_Tools, UnknownPathIs404Json) {
  for (const std::string& path : std::vector<std::string>{"/nope", "/mcp/", "/mcpx", "/healthz/extra", "/"}) {
    SCOPED_TRACE(path);
    const HttpResult r = request(port(), "GET", path);
    EXPECT_EQ(r.status, 404);
    EXPECT_TRUE(isJsonResponse(r));
    object(r.body);
  }
  const HttpResult post = request(port(), "POST", "/nope", mcpPostHeaders(), rpcRequest("1", "ping"));
  EXPECT_EQ(post.status, 404);
  EXPECT_TRUE(isJsonResponse(post));
}

}  // namespace
}  // namespace portcullis::testing::http
