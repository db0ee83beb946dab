// Malformed and wrong JSON-RPC over real HTTP: every bad body gets the HTTP
// status and JSON-RPC error code the Streamable HTTP transport and JSON-RPC
// 2.0 prescribe, and the error carries the request's id when it has one.
//
// Suite names start with integration_http_ so `ctest -R integration_http`
// selects them.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/http_support.hpp"

namespace portcullis::testing::http {
namespace {

class integration_http_Errors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = std::make_unique<TestGateway>(TestGateway::openConfig()); }
  static void TearDownTestSuite() { gateway_.reset(); }
  static uint16_t port() { return gateway_->port(); }

  inline static std::unique_ptr<TestGateway> gateway_;
};

TEST_F(integration_http_Errors, InvalidJsonIsParseErrorWithNullId) {
  const LegacySession s = openSession(port());
  for (const std::string& body : std::vector<std::string>{R"({"jsonrpc":"2.0","id":1,"method":)", "{not json}", "{'a':1}",
                                 R"({"jsonrpc":"2.0","id":1,"method":"ping"} trailing)",
                                 R"({"jsonrpc":"2.0","id":1,"method":"ping",})", "\xff\xfe{}"}) {
    SCOPED_TRACE(body);
    const HttpResult r = s.post(body);
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(isJsonResponse(r));
    EXPECT_TRUE(isRpcError(r.body, -32700, "null"));
  }
}

TEST_F(integration_http_Errors, InvalidJsonWithoutSessionIsStillParseError) {
  const HttpResult r = request(port(), "POST", "/mcp", mcpPostHeaders(), "{\"jsonrpc\":");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32700, "null"));
}

TEST_F(integration_http_Errors, EmptyBodyIsRejected) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post("");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32700, "null"));
}

TEST_F(integration_http_Errors, JsonThatIsNotAMessageIsInvalidRequest) {
  const LegacySession s = openSession(port());
  for (const std::string& body : std::vector<std::string>{"42", "\"hello\"", "true", "null", "[]", "{}", R"({"foo":1})",
                                 R"({"jsonrpc":"2.0"})"}) {
    SCOPED_TRACE(body);
    const HttpResult r = s.post(body);
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(isRpcError(r.body, -32600, "null"));
  }
}

TEST_F(integration_http_Errors, ObjectWithoutMethodOrResultIsInvalidRequestWithItsId) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(R"({"jsonrpc":"2.0","id":5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32600, "5"));

  const HttpResult both = s.post(R"({"jsonrpc":"2.0","id":"x","result":{},"error":{"code":1,"message":"m"}})");
  EXPECT_EQ(both.status, 400);
  EXPECT_TRUE(isRpcError(both.body, -32600, "\"x\""));
}

TEST_F(integration_http_Errors, MalformedEnvelopesAreInvalidRequest) {
  const LegacySession s = openSession(port());
  struct Case {
    std::string body;
    std::string id;
  };
  const std::vector<Case> cases{
      {R"({"jsonrpc":"1.0","id":3,"method":"ping"})", "3"},
      {R"({"id":4,"method":"ping"})", "4"},
      {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", "null"},
      {R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", "null"},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", "null"},
      {R"({"jsonrpc":"2.0","id":6,"method":""})", "6"},
      {R"({"jsonrpc":"2.0","id":7,"method":42})", "7"},
      {R"({"jsonrpc":"2.0","id":8,"method":"tools/list","params":[1,2]})", "8"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    const HttpResult r = s.post(c.body);
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(isRpcError(r.body, -32600, c.id));
  }
}

// A body that is JSON but no JSON-RPC message is the client's mistake
// whether or not it also forgot the session header.
TEST_F(integration_http_Errors, NonMessageObjectWithoutSessionIsInvalidRequest) {
  const HttpResult r = request(port(), "POST", "/mcp", mcpPostHeaders(), R"({"foo":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32600, "null"));
}

TEST_F(integration_http_Errors, NonMessageOnModernRequestIsInvalidRequest) {
  const Headers h = modernHeaders("tools/list");
  for (const std::string& body : std::vector<std::string>{"42", R"({"foo":1})", R"({"jsonrpc":"2.0"})"}) {
    SCOPED_TRACE(body);
    const HttpResult r = request(port(), "POST", "/mcp", h, body);
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(isRpcError(r.body, -32600, "null"));
  }
  const HttpResult withId = request(port(), "POST", "/mcp", h, R"({"jsonrpc":"2.0","id":"q"})");
  EXPECT_EQ(withId.status, 400);
  EXPECT_TRUE(isRpcError(withId.body, -32600, "\"q\""));
  const HttpResult invalidJson = request(port(), "POST", "/mcp", h, R"({"jsonrpc":"2.0","id":"q")");
  EXPECT_EQ(invalidJson.status, 400);
  EXPECT_TRUE(isRpcError(invalidJson.body, -32700, "null"));
}

TEST_F(integration_http_Errors, RawNulByteIsParseError) {
  const LegacySession s = openSession(port());
  std::string body = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"demo_echo","arguments":{"text":"a)";
  body += '\0';
  body += R"(b"}}})";
  const HttpResult r = s.post(body);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(isRpcError(r.body, -32700, "null"));

  // Between tokens too.
  std::string between = R"({"jsonrpc":"2.0","id":2,)";
  between += '\0';
  between += R"("method":"ping"})";
  const HttpResult r2 = s.post(between);
  EXPECT_EQ(r2.status, 400);
  EXPECT_TRUE(isRpcError(r2.body, -32700, "null"));
}

TEST_F(integration_http_Errors, DuplicateKeysAreParseError) {
  const LegacySession s = openSession(port());
  for (const std::string& body :
       std::vector<std::string>{R"({"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"})",
        R"({"jsonrpc":"2.0","id":1,"id":2,"method":"ping"})",
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"demo_echo","name":"whoami"}})",
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"demo_echo","arguments":{"text":"a","text":"b"}}})"}) {
    SCOPED_TRACE(body);
    const HttpResult r = s.post(body);
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(isRpcError(r.body, -32700, "null"));
  }
}

TEST_F(integration_http_Errors, UnknownMethodOnSessionIsMethodNotFoundWithHttp200) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("11", "tools/explode"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(isJsonResponse(r));
  EXPECT_TRUE(isRpcError(r.body, -32601, "11"));

  const HttpResult named = s.post(rpcRequest("\"req-a\"", "no/such/method"));
  EXPECT_EQ(named.status, 200);
  EXPECT_TRUE(isRpcError(named.body, -32601, "\"req-a\""));
}

TEST_F(integration_http_Errors, UnknownMethodOnModernRequestIsMethodNotFoundWithHttp404) {
  const HttpResult r =
      request(port(), "POST", "/mcp", modernHeaders("tools/explode"), modernRequest("12", "tools/explode"));
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(isRpcError(r.body, -32601, "12"));
}

TEST_F(integration_http_Errors, IdZeroIsARealId) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("0", "no/such/method"));
  EXPECT_TRUE(isRpcError(r.body, -32601, "0"));
  const HttpResult ok = s.post(rpcRequest("0", "ping"));
  EXPECT_EQ(ok.status, 200);
  resultOf(ok.body, "0");
}

TEST_F(integration_http_Errors, ToolsCallWithoutNameIsInvalidParams) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("21", "tools/call", R"({"arguments":{"text":"x"}})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(isRpcError(r.body, -32602, "21"));

  const HttpResult notString = s.post(rpcRequest("22", "tools/call", R"({"name":7})"));
  EXPECT_TRUE(isRpcError(notString.body, -32602, "22"));
}

TEST_F(integration_http_Errors, ToolsCallWithNonObjectArgumentsIsInvalidParams) {
  const LegacySession s = openSession(port());
  for (const std::string& arguments : std::vector<std::string>{R"("text")", "[1,2]", "42", "true"}) {
    SCOPED_TRACE(arguments);
    const HttpResult r =
        s.post(rpcRequest("23", "tools/call", R"({"name":"demo_echo","arguments":)" + arguments + "}"));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(isRpcError(r.body, -32602, "23"));
  }
}

TEST_F(integration_http_Errors, UnknownToolIsInvalidParams) {
  const LegacySession s = openSession(port());
  const HttpResult r = s.post(rpcRequest("24", "tools/call", R"({"name":"no_such_tool","arguments":{}})"));
  EXPECT_TRUE(isRpcError(r.body, -32602, "24"));
}

TEST_F(integration_http_Errors, PromptMissingRequiredArgumentIsInvalidParams) {
  const LegacySession s = openSession(port());
  const HttpResult none = s.post(rpcRequest("31", "prompts/get", R"({"name":"demo_greeting"})"));
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(isRpcError(none.body, -32602, "31"));

  const HttpResult partial = s.post(
      rpcRequest("32", "prompts/get", R"({"name":"test_prompt_with_arguments","arguments":{"arg1":"a"}})"));
  EXPECT_TRUE(isRpcError(partial.body, -32602, "32"));

  const HttpResult notObject =
      s.post(rpcRequest("33", "prompts/get", R"({"name":"demo_greeting","arguments":"Ada"})"));
  EXPECT_TRUE(isRpcError(notObject.body, -32602, "33"));

  // With everything it needs the same prompt works.
  const HttpResult ok =
      s.post(rpcRequest("34", "prompts/get", R"({"name":"demo_greeting","arguments":{"name":"Ada"}})"));
  EXPECT_EQ(ok.status, 200);
  auto messages = json::getArray(resultOf(ok.body, "34"), "messages");
  ASSERT_TRUE(messages);
  EXPECT_GE(messages->size(), 1u);
}

TEST_F(integration_http_Errors, InvalidParamsOnModernRequestCarryTheId) {
  const HttpResult r = request(port(), "POST", "/mcp", modernHeaders("tools/call", "demo_echo"),
                               modernRequest("\"m-1\"", "tools/call", R"({"name":"demo_echo","arguments":"x"})"));
  EXPECT_TRUE(isJsonResponse(r));
  EXPECT_TRUE(isRpcError(r.body, -32602, "\"m-1\""));
}

TEST_F(integration_http_Errors, ServerStaysUsableAfterBadInput) {
  const LegacySession s = openSession(port());
  s.post("{");
  s.post("42");
  std::string nul = "{";
  nul += '\0';
  s.post(nul + "}");
  const HttpResult r = s.post(rpcRequest("99", "tools/call", R"({"name":"demo_echo","arguments":{"text":"still here"}})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(firstText(resultOf(r.body, "99")), "still here");
}

}  // namespace
}  // namespace portcullis::testing::http
