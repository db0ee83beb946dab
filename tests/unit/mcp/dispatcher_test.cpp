// The protocol engine: routing, result shapes of both generations and the
// errors for bad requests (core/mcp/dispatcher.hpp).

#include "core/mcp/dispatcher.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/common/text.hpp"
#include "tests/unit/mcp/dispatcher_fixture.hpp"

namespace portcullis::mcp {
namespace {

using fakes::DispatcherTest;
using fakes::request;
using fakes::textResult;
namespace codes = jsonrpc::codes;

std::vector<std::string> names(const json::ArrayPtr& definitions, const char* field = "name") {
  std::vector<std::string> out;
  if (!definitions) return out;
  for (const auto& d : *definitions)
    out.push_back(json::getString(json::asObject(d), field).value_or("?"));
  return out;
}

json::ObjectPtr serverInfoMeta(const json::ObjectPtr& result) {
  return json::getObject(json::getObject(result, "_meta"), meta::kServerInfo);
}

// ---- initialize --------------------------------------------------------------------

TEST_F(DispatcherTest, InitializeKeepsASupportedVersion) {
  RequestScope scope = legacy();
  auto response =
      call("initialize", R"({"protocolVersion":"2025-06-18","capabilities":{}})", scope);
  auto result = resultOf(response);
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getString(result, "protocolVersion"), "2025-06-18");
  ASSERT_NE(last.session, nullptr);
  EXPECT_EQ(last.session->version(), "2025-06-18");
}

TEST_F(DispatcherTest, InitializeWithUnknownVersionOffersTheNewestLegacyVersion) {
  RequestScope scope = legacy();
  auto result = resultOf(call("initialize", R"({"protocolVersion":"2099-12-31"})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getString(result, "protocolVersion"), "2025-11-25");
}

TEST_F(DispatcherTest, InitializeWithTheModernVersionOffersTheNewestLegacyVersion) {
  RequestScope scope = legacy();
  auto result = resultOf(call("initialize", R"({"protocolVersion":"2026-07-28"})", scope));
  EXPECT_EQ(json::getString(result, "protocolVersion"), "2025-11-25");
}

TEST_F(DispatcherTest, InitializeCreatesASessionWithTheClientsDescription) {
  RequestScope scope = legacy();
  call(
      "initialize",
      R"({"protocolVersion":"2025-11-25","capabilities":{"sampling":{}},"clientInfo":{"name":"c","version":"9"}})",
      scope);
  ASSERT_NE(last.session, nullptr);
  EXPECT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions.find(last.session->id()), last.session);
  EXPECT_NE(json::getObject(last.session->clientCapabilities(), "sampling"), nullptr);
  EXPECT_EQ(json::getString(last.session->clientInfo(), "name"), "c");
  EXPECT_FALSE(last.session->initialized());
}

TEST_F(DispatcherTest, InitializeDescribesTheServer) {
  options.serverName = "gw";
  options.serverVersion = "1.2.3";
  options.instructions = "Use the tools.";
  rebuild();
  RequestScope scope = legacy();
  auto result = resultOf(call("initialize", R"({"protocolVersion":"2025-11-25"})", scope));
  ASSERT_NE(result, nullptr);
  auto info = json::getObject(result, "serverInfo");
  EXPECT_EQ(json::getString(info, "name"), "gw");
  EXPECT_EQ(json::getString(info, "version"), "1.2.3");
  EXPECT_EQ(json::getString(result, "instructions"), "Use the tools.");
  auto caps = json::getObject(result, "capabilities");
  EXPECT_NE(json::getObject(caps, "tools"), nullptr);
  EXPECT_NE(json::getObject(caps, "resources"), nullptr);
  EXPECT_NE(json::getObject(caps, "prompts"), nullptr);
  EXPECT_NE(json::getObject(caps, "logging"), nullptr);
  EXPECT_FALSE(result->has("resultType"));
}

TEST_F(DispatcherTest, InitializeWithoutProtocolVersionIsInvalidParams) {
  RequestScope scope = legacy();
  auto response = call("initialize", R"({"capabilities":{}})", scope);
  EXPECT_EQ(errorCode(response), codes::kInvalidParams);
  EXPECT_EQ(sessions.size(), 0u);
  EXPECT_EQ(last.session, nullptr);
}

TEST_F(DispatcherTest, InitializeTwiceOnOneSessionIsRejected) {
  auto session = initializedSession();
  RequestScope scope = legacy(session);
  auto response = call("initialize", R"({"protocolVersion":"2025-11-25"})", scope);
  EXPECT_EQ(errorCode(response), codes::kInvalidRequest);
}

TEST_F(DispatcherTest, InitializeOnAnOpenSessionUsesIt) {
  auto session = sessions.create(Principal{});
  RequestScope scope = legacy(session);
  auto result = resultOf(call("initialize", R"({"protocolVersion":"2024-11-05"})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(last.session, nullptr);
  EXPECT_EQ(session->version(), "2024-11-05");
  EXPECT_EQ(sessions.size(), 1u);
}

TEST_F(DispatcherTest, InitializeWhenTheStoreIsFullIsAServerError) {
  for (int i = 0; i < 4; ++i) ASSERT_NE(sessions.create(Principal{}), nullptr);
  RequestScope scope = legacy();
  auto response = call("initialize", R"({"protocolVersion":"2025-11-25"})", scope);
  EXPECT_EQ(errorCode(response), codes::kServerError);
}

TEST_F(DispatcherTest, ResponseEchoesTheRequestId) {
  RequestScope scope = legacy();
  auto response = call(request(json::Value(std::string("abc")), "ping"), scope);
  EXPECT_EQ(json::getString(response, "id"), "abc");
  response = call(request(0, "ping"), scope);
  EXPECT_EQ(json::getInt(response, "id"), 0);
}

// ---- ping and logging ------------------------------------------------------------

TEST_F(DispatcherTest, PingAnswersAnEmptyResult) {
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("ping", "{}", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(result->size(), 0u);
}

TEST_F(DispatcherTest, SetLevelStoresTheSessionLevel) {
  auto session = initializedSession();
  RequestScope scope = legacy(session);
  ASSERT_NE(resultOf(call("logging/setLevel", R"({"level":"warning"})", scope)), nullptr)
      << last.body;
  EXPECT_EQ(session->logLevel(), LogLevel::Warning);
}

TEST_F(DispatcherTest, SetLevelWithAnInvalidLevelIsInvalidParams) {
  auto session = initializedSession();
  RequestScope scope = legacy(session);
  for (const char* params :
       {R"({"level":"loud"})", R"({"level":"WARNING"})", R"({"level":3})", "{}"}) {
    EXPECT_EQ(errorCode(call("logging/setLevel", params, scope)), codes::kInvalidParams) << params;
  }
  EXPECT_EQ(session->logLevel(), std::nullopt);
}

// ---- lists and pagination -----------------------------------------------------------

TEST_F(DispatcherTest, ToolsListMergesProvidersAndKeepsDefinitions) {
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/list", "{}", scope));
  ASSERT_NE(result, nullptr) << last.body;
  auto tools = json::getArray(result, "tools");
  EXPECT_EQ(names(tools), (std::vector<std::string>{"echo", "strict", "beta_tool"}));
  EXPECT_EQ(json::getString(json::asObject(tools->get(0)), "description"), "t");
  EXPECT_FALSE(result->has("nextCursor"));
}

TEST_F(DispatcherTest, OtherListsServeTheirKinds) {
  RequestScope scope = legacy(initializedSession());
  EXPECT_EQ(names(json::getArray(resultOf(call("prompts/list", "{}", scope)), "prompts")),
            std::vector<std::string>{"greet"});
  EXPECT_EQ(
      names(json::getArray(resultOf(call("resources/list", "{}", scope)), "resources"), "uri"),
      std::vector<std::string>{"file:///a.txt"});
  EXPECT_EQ(names(json::getArray(resultOf(call("resources/templates/list", "{}", scope)),
                                 "resourceTemplates"),
                  "uriTemplate"),
            std::vector<std::string>{"notes://{id}"});
}

TEST_F(DispatcherTest, ToolsListPaginates) {
  options.pageSize = 2;
  rebuild();
  RequestScope scope = legacy(initializedSession());
  auto first = resultOf(call("tools/list", "{}", scope));
  ASSERT_NE(first, nullptr) << last.body;
  EXPECT_EQ(names(json::getArray(first, "tools")), (std::vector<std::string>{"echo", "strict"}));
  auto cursor = json::getString(first, "nextCursor");
  ASSERT_TRUE(cursor.has_value());

  json::ObjectPtr params = json::makeObject();
  params->set("cursor", *cursor);
  auto second = resultOf(call("tools/list", json::stringify(params), scope));
  ASSERT_NE(second, nullptr) << last.body;
  EXPECT_EQ(names(json::getArray(second, "tools")), (std::vector<std::string>{"beta_tool"}));
  EXPECT_FALSE(second->has("nextCursor"));
}

TEST_F(DispatcherTest, ExactlyFullPageHasNoNextCursor) {
  options.pageSize = 3;
  rebuild();
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/list", "{}", scope));
  EXPECT_EQ(json::getArray(result, "tools")->size(), 3u);
  EXPECT_FALSE(result->has("nextCursor"));
}

TEST_F(DispatcherTest, InvalidCursorIsInvalidParams) {
  options.pageSize = 2;
  rebuild();
  RequestScope scope = legacy(initializedSession());
  const std::string beyond = common::base64UrlEncode("o:99");
  const std::string negative = common::base64UrlEncode("o:-1");
  const std::string trailing = common::base64UrlEncode("o:1x");
  const std::string otherPrefix = common::base64UrlEncode("x:1");
  for (const std::string& params :
       {std::string(R"({"cursor":"garbage!"})"), std::string(R"({"cursor":""})"),
        std::string(R"({"cursor":5})"), std::string(R"({"cursor":null})"),
        R"({"cursor":")" + beyond + R"("})", R"({"cursor":")" + negative + R"("})",
        R"({"cursor":")" + trailing + R"("})", R"({"cursor":")" + otherPrefix + R"("})"}) {
    EXPECT_EQ(errorCode(call("tools/list", params, scope)), codes::kInvalidParams) << params;
  }
}

TEST_F(DispatcherTest, LegacyListResultsCarryNoModernFields) {
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/list", "{}", scope));
  EXPECT_FALSE(result->has("resultType"));
  EXPECT_FALSE(result->has("ttlMs"));
  EXPECT_FALSE(result->has("cacheScope"));
  EXPECT_FALSE(result->has("_meta"));
}

// ---- modern result shape --------------------------------------------------------------

TEST_F(DispatcherTest, ModernListResultsCarryCacheHintsAndServerInfo) {
  options.listTtl = std::chrono::milliseconds(1234);
  rebuild();
  RequestScope scope = modern();
  auto result = resultOf(call("tools/list", "{}", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getString(result, "resultType"), "complete");
  EXPECT_EQ(json::getInt(result, "ttlMs"), 1234);
  EXPECT_EQ(json::getString(result, "cacheScope"), "public");
  auto info = serverInfoMeta(result);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(json::getString(info, "name"), "portcullis");
  EXPECT_EQ(json::getString(info, "version"), "0.0.0");
}

TEST_F(DispatcherTest, ModernToolResultIsCompleteWithServerInfoButNoCacheHints) {
  RequestScope scope = modern();
  auto result = resultOf(call("tools/call", R"({"name":"echo","arguments":{}})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getString(result, "resultType"), "complete");
  EXPECT_NE(serverInfoMeta(result), nullptr);
  EXPECT_FALSE(result->has("ttlMs"));
  EXPECT_NE(json::getArray(result, "content"), nullptr);
}

TEST_F(DispatcherTest, ModernResultKeepsTheProvidersMeta) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    auto result = textResult("x");
    result->set("_meta", json::parseObject(R"({"example.com/trace":"t-1"})"));
    return Outcome::ok(result);
  });
  RequestScope scope = modern();
  auto result = resultOf(call("tools/call", R"({"name":"echo"})", scope));
  auto metaObject = json::getObject(result, "_meta");
  EXPECT_EQ(json::getString(metaObject, "example.com/trace"), "t-1");
  EXPECT_NE(serverInfoMeta(result), nullptr);
}

TEST_F(DispatcherTest, ModernResourceReadIsCacheable) {
  RequestScope scope = modern();
  auto result = resultOf(call("resources/read", R"({"uri":"file:///a.txt"})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getString(result, "resultType"), "complete");
  EXPECT_TRUE(result->has("ttlMs"));
}

TEST_F(DispatcherTest, LegacyResultsDropACompleteResultType) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    auto result = textResult("x");
    result->set("resultType", std::string("complete"));
    return Outcome::ok(result);
  });
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/call", R"({"name":"echo"})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_FALSE(result->has("resultType"));
  EXPECT_FALSE(result->has("_meta"));
}

TEST_F(DispatcherTest, ServerDiscoverListsModernVersionsAndCapabilities) {
  options.instructions = "hello";
  rebuild();
  RequestScope scope = modern();
  auto result = resultOf(call("server/discover", "{}", scope));
  ASSERT_NE(result, nullptr) << last.body;
  auto versions = json::getArray(result, "supportedVersions");
  ASSERT_NE(versions, nullptr);
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ(versions->get(0).extract<std::string>(), "2026-07-28");
  auto caps = json::getObject(result, "capabilities");
  EXPECT_NE(json::getObject(caps, "tools"), nullptr);
  EXPECT_EQ(json::getObject(caps, "logging"), nullptr);
  EXPECT_EQ(json::getString(result, "instructions"), "hello");
  EXPECT_EQ(json::getString(result, "resultType"), "complete");
}

TEST_F(DispatcherTest, ServerDiscoverIsNotALegacyMethod) {
  RequestScope scope = legacy(initializedSession());
  EXPECT_EQ(errorCode(call("server/discover", "{}", scope)), codes::kMethodNotFound);
}

TEST_F(DispatcherTest, ModernRemovedMethodsAreNotFound) {
  RequestScope scope = modern();
  for (const char* method :
       {"initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"}) {
    EXPECT_EQ(
        errorCode(call(method,
                       R"({"protocolVersion":"2025-11-25","level":"info","uri":"file:///a.txt"})",
                       scope)),
        codes::kMethodNotFound)
        << method;
  }
  EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(DispatcherTest, UnknownMethodsAreNotFoundInBothGenerations) {
  RequestScope legacyScope = legacy(initializedSession());
  RequestScope modernScope = modern();
  EXPECT_EQ(errorCode(call("tools/destroy", "{}", legacyScope)), codes::kMethodNotFound);
  EXPECT_EQ(errorCode(call("tools/destroy", "{}", modernScope)), codes::kMethodNotFound);
}

TEST_F(DispatcherTest, SubscriptionsListenNeedsAStreamingTransport) {
  RequestScope scope = modern();
  EXPECT_EQ(errorCode(call("subscriptions/listen", "{}", scope)), codes::kInvalidRequest);
}

TEST_F(DispatcherTest, MethodTables) {
  EXPECT_TRUE(Dispatcher::isModernMethod("tools/call"));
  EXPECT_TRUE(Dispatcher::isModernMethod("server/discover"));
  EXPECT_FALSE(Dispatcher::isModernMethod("initialize"));
  EXPECT_FALSE(Dispatcher::isModernMethod("ping"));
  EXPECT_TRUE(Dispatcher::isRemovedInModern("logging/setLevel"));
  EXPECT_FALSE(Dispatcher::isRemovedInModern("tools/list"));
}

// ---- tools/call ----------------------------------------------------------------------

TEST_F(DispatcherTest, ToolCallRoutesToTheOwningProvider) {
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/call", R"({"name":"beta_tool","arguments":{"q":1}})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  ASSERT_EQ(beta->calls().size(), 1u);
  EXPECT_TRUE(alpha->calls().empty());
  EXPECT_EQ(beta->calls()[0].method, "tools/call");
  EXPECT_EQ(json::getInt(json::getObject(beta->calls()[0].params, "arguments"), "q"), 1);
}

TEST_F(DispatcherTest, UnknownToolIsInvalidParams) {
  RequestScope scope = legacy(initializedSession());
  EXPECT_EQ(errorCode(call("tools/call", R"({"name":"nope","arguments":{}})", scope)),
            codes::kInvalidParams);
  EXPECT_EQ(errorCode(call("tools/call", R"({"arguments":{}})", scope)), codes::kInvalidParams);
  EXPECT_EQ(errorCode(call("tools/call", R"({"name":7})", scope)), codes::kInvalidParams);
}

TEST_F(DispatcherTest, ArgumentsThatAreNotAnObjectAreInvalidParams) {
  RequestScope scope = legacy(initializedSession());
  for (const char* arguments : {"[1]", "\"x\"", "5", "true"}) {
    auto response =
        call("tools/call", std::string(R"({"name":"echo","arguments":)") + arguments + "}", scope);
    EXPECT_EQ(errorCode(response), codes::kInvalidParams) << arguments;
  }
  EXPECT_TRUE(alpha->calls().empty());
}

TEST_F(DispatcherTest, NullOrMissingArgumentsAreAnEmptyObject) {
  RequestScope scope = legacy(initializedSession());
  ASSERT_NE(resultOf(call("tools/call", R"({"name":"echo","arguments":null})", scope)), nullptr)
      << last.body;
  ASSERT_NE(resultOf(call("tools/call", R"({"name":"echo"})", scope)), nullptr) << last.body;
  EXPECT_EQ(alpha->calls().size(), 2u);
}

TEST_F(DispatcherTest, SchemaInvalidArgumentsGiveAnIsErrorResult) {
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(
      call("tools/call", R"({"name":"strict","arguments":{"n":"seven","extra":1}})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getBool(result, "isError"), true);
  auto content = json::getArray(result, "content");
  ASSERT_NE(content, nullptr);
  ASSERT_EQ(content->size(), 1u);
  const std::string text = json::getString(json::asObject(content->get(0)), "text").value_or("");
  EXPECT_NE(text.find("n:"), std::string::npos) << text;
  EXPECT_NE(text.find("extra"), std::string::npos) << text;
  EXPECT_TRUE(alpha->calls().empty());
}

TEST_F(DispatcherTest, MissingRequiredArgumentGivesAnIsErrorResult) {
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/call", R"({"name":"strict"})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getBool(result, "isError"), true);
  EXPECT_TRUE(alpha->calls().empty());
}

TEST_F(DispatcherTest, ModernSchemaErrorIsACompleteResult) {
  RequestScope scope = modern();
  auto result = resultOf(call("tools/call", R"({"name":"strict","arguments":{}})", scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getBool(result, "isError"), true);
  EXPECT_EQ(json::getString(result, "resultType"), "complete");
}

TEST_F(DispatcherTest, ValidArgumentsReachTheProvider) {
  RequestScope scope = legacy(initializedSession());
  ASSERT_NE(resultOf(call("tools/call", R"({"name":"strict","arguments":{"n":7}})", scope)),
            nullptr);
  ASSERT_EQ(alpha->calls().size(), 1u);
}

TEST_F(DispatcherTest, ArgumentValidationCanBeSwitchedOff) {
  options.validateArguments = false;
  rebuild();
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/call", R"({"name":"strict","arguments":{"n":"x"}})", scope));
  ASSERT_NE(result, nullptr);
  EXPECT_FALSE(result->has("isError"));
  EXPECT_EQ(alpha->calls().size(), 1u);
}

TEST_F(DispatcherTest, ProviderErrorBecomesAJsonRpcError) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    return Outcome::error(-32050, "upstream down",
                          json::Value(json::parseObject(R"({"retry":true})")));
  });
  RequestScope scope = legacy(initializedSession());
  auto response = call("tools/call", R"({"name":"echo"})", scope);
  EXPECT_EQ(errorCode(response), -32050);
  EXPECT_EQ(json::getString(errorOf(response), "message"), "upstream down");
  EXPECT_EQ(json::getBool(json::getObject(errorOf(response), "data"), "retry"), true);
  EXPECT_EQ(last.kind, Reply::Kind::Error);
  EXPECT_EQ(last.errorCode, -32050);
}

TEST_F(DispatcherTest, ProviderThatThrowsGivesAnInternalError) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) -> Outcome {
    throw std::runtime_error("secret detail");
  });
  RequestScope scope = legacy(initializedSession());
  auto response = call("tools/call", R"({"name":"echo"})", scope);
  EXPECT_EQ(errorCode(response), codes::kInternalError);
  EXPECT_EQ(last.body.find("secret detail"), std::string::npos);
}

TEST_F(DispatcherTest, ProviderOkWithoutResultGivesAnEmptyResult) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    return Outcome::ok(nullptr);
  });
  RequestScope scope = legacy(initializedSession());
  auto result = resultOf(call("tools/call", R"({"name":"echo"})", scope));
  ASSERT_NE(result, nullptr) << last.body;
}

TEST_F(DispatcherTest, CancelledOutcomeSendsNoResponse) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    return Outcome{Outcome::Status::Cancelled, {}, 0, {}, {}};
  });
  RequestScope scope = legacy(initializedSession());
  const Reply reply = dispatcher->handle(request(1, "tools/call", R"({"name":"echo"})"), scope);
  EXPECT_EQ(reply.kind, Reply::Kind::None);
}

// ---- resources ---------------------------------------------------------------------

TEST_F(DispatcherTest, ResourceReadRoutesToResourceOrTemplateOwner) {
  RequestScope scope = legacy(initializedSession());
  ASSERT_NE(resultOf(call("resources/read", R"({"uri":"file:///a.txt"})", scope)), nullptr)
      << last.body;
  ASSERT_NE(resultOf(call("resources/read", R"({"uri":"notes://42"})", scope)), nullptr)
      << last.body;
  ASSERT_EQ(alpha->calls().size(), 1u);
  ASSERT_EQ(beta->calls().size(), 1u);
  EXPECT_EQ(beta->calls()[0].method, "resources/read");
  EXPECT_EQ(json::getString(beta->calls()[0].params, "uri"), "notes://42");
}

TEST_F(DispatcherTest, LegacyResourceNotFoundIsMinus32002WithTheUri) {
  RequestScope scope = legacy(initializedSession());
  auto response = call("resources/read", R"({"uri":"file:///missing"})", scope);
  EXPECT_EQ(errorCode(response), codes::kResourceNotFound);
  EXPECT_EQ(json::getString(json::getObject(errorOf(response), "data"), "uri"), "file:///missing");
}

TEST_F(DispatcherTest, ModernResourceNotFoundIsInvalidParamsWithTheUri) {
  RequestScope scope = modern();
  auto response = call("resources/read", R"({"uri":"file:///missing"})", scope);
  EXPECT_EQ(errorCode(response), codes::kInvalidParams);
  EXPECT_EQ(json::getString(json::getObject(errorOf(response), "data"), "uri"), "file:///missing");
}

TEST_F(DispatcherTest, ModernProviderNotFoundIsMappedToInvalidParams) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    return Outcome::error(codes::kResourceNotFound, "gone");
  });
  RequestScope modernScope = modern();
  EXPECT_EQ(errorCode(call("resources/read", R"({"uri":"file:///a.txt"})", modernScope)),
            codes::kInvalidParams);
  RequestScope legacyScope = legacy(initializedSession());
  EXPECT_EQ(errorCode(call("resources/read", R"({"uri":"file:///a.txt"})", legacyScope)),
            codes::kResourceNotFound);
}

TEST_F(DispatcherTest, ResourceReadWithoutUriIsInvalidParams) {
  RequestScope scope = legacy(initializedSession());
  EXPECT_EQ(errorCode(call("resources/read", "{}", scope)), codes::kInvalidParams);
  EXPECT_EQ(errorCode(call("resources/read", R"({"uri":1})", scope)), codes::kInvalidParams);
}

TEST_F(DispatcherTest, SubscribeRecordsTheUriAndTellsTheOwner) {
  auto session = initializedSession();
  RequestScope scope = legacy(session);
  ASSERT_NE(resultOf(call("resources/subscribe", R"({"uri":"notes://7"})", scope)), nullptr)
      << last.body;
  EXPECT_TRUE(session->subscribed("notes://7"));
  ASSERT_EQ(beta->calls().size(), 1u);
  EXPECT_EQ(beta->calls()[0].method, "resources/subscribe");

  ASSERT_NE(resultOf(call("resources/unsubscribe", R"({"uri":"notes://7"})", scope)), nullptr)
      << last.body;
  EXPECT_FALSE(session->subscribed("notes://7"));
  ASSERT_EQ(beta->calls().size(), 2u);
  EXPECT_EQ(beta->calls()[1].method, "resources/unsubscribe");
}

TEST_F(DispatcherTest, SubscribeToAnUnownedUriIsRecordedWithoutAProvider) {
  auto session = initializedSession();
  RequestScope scope = legacy(session);
  ASSERT_NE(resultOf(call("resources/subscribe", R"({"uri":"other://x"})", scope)), nullptr);
  EXPECT_TRUE(session->subscribed("other://x"));
  EXPECT_TRUE(alpha->calls().empty());
  EXPECT_TRUE(beta->calls().empty());
}

TEST_F(DispatcherTest, SubscribeWithoutUriIsInvalidParams) {
  RequestScope scope = legacy(initializedSession());
  EXPECT_EQ(errorCode(call("resources/subscribe", "{}", scope)), codes::kInvalidParams);
  EXPECT_EQ(errorCode(call("resources/subscribe", R"({"uri":""})", scope)), codes::kInvalidParams);
}

// ---- prompts ------------------------------------------------------------------------

TEST_F(DispatcherTest, PromptGetRoutesToTheOwner) {
  RequestScope scope = legacy(initializedSession());
  ASSERT_NE(resultOf(call("prompts/get", R"({"name":"greet","arguments":{"who":"Ada"}})", scope)),
            nullptr);
  ASSERT_EQ(alpha->calls().size(), 1u);
  EXPECT_EQ(alpha->calls()[0].method, "prompts/get");
}

TEST_F(DispatcherTest, PromptGetErrors) {
  RequestScope scope = legacy(initializedSession());
  EXPECT_EQ(errorCode(call("prompts/get", R"({"name":"nope"})", scope)), codes::kInvalidParams);
  EXPECT_EQ(errorCode(call("prompts/get", "{}", scope)), codes::kInvalidParams);
  EXPECT_EQ(errorCode(call("prompts/get", R"({"name":"greet","arguments":[1]})", scope)),
            codes::kInvalidParams);
  EXPECT_TRUE(alpha->calls().empty());
}

// ---- completion ---------------------------------------------------------------------

TEST_F(DispatcherTest, CompletionForAPromptGoesToThePromptsProvider) {
  RequestScope scope = legacy(initializedSession());
  auto response =
      call("completion/complete",
           R"({"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"who","value":"A"}})",
           scope);
  ASSERT_NE(resultOf(response), nullptr) << last.body;
  ASSERT_EQ(alpha->calls().size(), 1u);
  EXPECT_EQ(alpha->calls()[0].method, "completion/complete");
  EXPECT_TRUE(beta->calls().empty());
}

TEST_F(DispatcherTest, CompletionForATemplateGoesToTheTemplatesProvider) {
  RequestScope scope = legacy(initializedSession());
  ASSERT_NE(
      resultOf(call(
          "completion/complete",
          R"({"ref":{"type":"ref/resource","uri":"notes://{id}"},"argument":{"name":"id","value":"4"}})",
          scope)),
      nullptr)
      << last.body;
  ASSERT_EQ(beta->calls().size(), 1u);
  EXPECT_EQ(beta->calls()[0].method, "completion/complete");
  EXPECT_TRUE(alpha->calls().empty());
}

TEST_F(DispatcherTest, CompletionForAConcreteResourceGoesToItsOwner) {
  RequestScope scope = legacy(initializedSession());
  ASSERT_NE(
      resultOf(call(
          "completion/complete",
          R"({"ref":{"type":"ref/resource","uri":"file:///a.txt"},"argument":{"name":"x","value":""}})",
          scope)),
      nullptr);
  EXPECT_EQ(alpha->calls().size(), 1u);
}

TEST_F(DispatcherTest, CompletionErrors) {
  RequestScope scope = legacy(initializedSession());
  const char* cases[] = {
      R"({"ref":{"type":"ref/prompt","name":"nope"},"argument":{"name":"a","value":""}})",
      R"({"ref":{"type":"ref/resource","uri":"nope://x"},"argument":{"name":"a","value":""}})",
      R"({"ref":{"type":"ref/tool","name":"echo"},"argument":{"name":"a","value":""}})",
      R"({"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"a"}})",
      R"({"ref":{"type":"ref/prompt","name":"greet"}})",
      R"({"argument":{"name":"a","value":""}})",
      R"({"ref":"greet","argument":{"name":"a","value":""}})",
  };
  for (const char* params : cases) {
    EXPECT_EQ(errorCode(call("completion/complete", params, scope)), codes::kInvalidParams)
        << params;
  }
  EXPECT_TRUE(alpha->calls().empty());
  EXPECT_TRUE(beta->calls().empty());
}

// ---- notifications -------------------------------------------------------------------

TEST_F(DispatcherTest, InitializedNotificationMarksTheSession) {
  RequestScope scope = legacy();
  call("initialize", R"({"protocolVersion":"2025-11-25"})", scope);
  auto session = last.session;
  ASSERT_NE(session, nullptr);
  RequestScope sessionScope = legacy(session);
  dispatcher->notify(fakes::notificationMessage("notifications/initialized"), sessionScope);
  EXPECT_TRUE(session->initialized());
}

TEST_F(DispatcherTest, CancelledNotificationCancelsTheMatchingRequest) {
  auto session = initializedSession();
  auto numeric = session->track(jsonrpc::idKey(json::Value(5)));
  auto text = session->track(jsonrpc::idKey(json::Value(std::string("5"))));
  RequestScope scope = legacy(session);
  dispatcher->notify(fakes::notificationMessage("notifications/cancelled", R"({"requestId":"5"})"),
                     scope);
  EXPECT_TRUE(text->cancelled());
  EXPECT_FALSE(numeric->cancelled());
  dispatcher->notify(
      fakes::notificationMessage("notifications/cancelled", R"({"requestId":5,"reason":"x"})"),
      scope);
  EXPECT_TRUE(numeric->cancelled());
}

TEST_F(DispatcherTest, UnknownNotificationsAreIgnored) {
  RequestScope scope = legacy(initializedSession());
  EXPECT_NO_THROW(dispatcher->notify(fakes::notificationMessage("notifications/whatever"), scope));
  EXPECT_NO_THROW(dispatcher->notify(fakes::notificationMessage("notifications/cancelled"), scope));
}

// ---- subscriptions/listen filters ---------------------------------------------------------

TEST_F(DispatcherTest, AcceptListenReadsTheFilter) {
  const ListenFilter filter = dispatcher->acceptListen(json::parseObject(
      R"({"notifications":{"toolsListChanged":true,"promptsListChanged":false,"resourceSubscriptions":["a://1","a://2"]}})"));
  EXPECT_TRUE(filter.toolsListChanged);
  EXPECT_FALSE(filter.promptsListChanged);
  EXPECT_FALSE(filter.resourcesListChanged);
  EXPECT_EQ(filter.resourceSubscriptions, (std::set<std::string>{"a://1", "a://2"}));
}

TEST_F(DispatcherTest, AcceptListenWithoutNotificationsListensToNothing) {
  const ListenFilter filter = dispatcher->acceptListen(json::makeObject());
  EXPECT_FALSE(filter.toolsListChanged);
  EXPECT_TRUE(filter.resourceSubscriptions.empty());
}

TEST_F(DispatcherTest, AcceptListenRejectsMalformedFilters) {
  for (const char* params : {R"({"notifications":[]})", R"({"notifications":"all"})",
                             R"({"notifications":{"resourceSubscriptions":"a://1"}})",
                             R"({"notifications":{"resourceSubscriptions":[1]}})"}) {
    try {
      dispatcher->acceptListen(json::parseObject(params));
      ADD_FAILURE() << "accepted " << params;
    } catch (const jsonrpc::RpcError& e) {
      EXPECT_EQ(e.code(), codes::kInvalidParams) << params;
    }
  }
}

TEST_F(DispatcherTest, ListenAcknowledgementEchoesWhatIsHonoured) {
  ListenFilter filter;
  filter.toolsListChanged = true;
  filter.resourceSubscriptions = {"a://1"};
  auto ack = dispatcher->listenAcknowledgement(filter, json::Value(std::string("sub-9")));
  EXPECT_EQ(json::getString(json::getObject(ack, "_meta"), meta::kSubscriptionId), "sub-9");
  auto honoured = json::getObject(ack, "notifications");
  EXPECT_EQ(json::getBool(honoured, "toolsListChanged"), true);
  EXPECT_FALSE(honoured->has("promptsListChanged"));
  EXPECT_EQ(json::getArray(honoured, "resourceSubscriptions")->size(), 1u);
}

// ---- hostile sizes -------------------------------------------------------------------

// A crash here takes the whole server down, so these run in a child process
// and a crash is reported as the test's failure.
class DispatcherDeathTest : public DispatcherTest {};

TEST_F(DispatcherDeathTest, ResourceReadWithAVeryLongUriDoesNotCrash) {
  json::ObjectPtr params = json::makeObject();
  params->set("uri", "notes://" + std::string(1'000'000, 'x'));
  const jsonrpc::Message message = request(1, "resources/read", json::stringify(params));
  RequestScope scope = legacy();
  EXPECT_EXIT(
      {
        dispatcher->handle(message, scope);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(DispatcherDeathTest, ToolCallWithAVeryLongPatternCheckedArgumentDoesNotCrash) {
  alpha->setList(
      ListKind::Tools,
      "[" +
          fakes::toolJson(
              "search",
              R"({"type":"object","properties":{"q":{"type":"string","pattern":"^[a-z]+$"}}})") +
          "]");
  catalog.invalidate(*alpha, static_cast<uint32_t>(ListKind::Tools));
  json::ObjectPtr arguments = json::makeObject();
  arguments->set("q", std::string(1'000'000, 'x'));
  json::ObjectPtr params = json::makeObject();
  params->set("name", std::string("search"));
  params->set("arguments", arguments);
  const jsonrpc::Message message = request(1, "tools/call", json::stringify(params));
  RequestScope scope = legacy();
  EXPECT_EXIT(
      {
        dispatcher->handle(message, scope);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---- readModernMeta -----------------------------------------------------------------

int metaErrorCode(const std::string& params) {
  try {
    readModernMeta(json::parseObject(params));
  } catch (const jsonrpc::RpcError& e) {
    return e.code();
  }
  return 0;
}

TEST(ReadModernMeta, ReadsEveryField) {
  const ModernMeta m = readModernMeta(json::parseObject(R"({"_meta":{
      "io.modelcontextprotocol/protocolVersion":"2026-07-28",
      "io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},
      "io.modelcontextprotocol/clientInfo":{"name":"c"},
      "io.modelcontextprotocol/logLevel":"warning"}})"));
  EXPECT_EQ(m.version, "2026-07-28");
  EXPECT_NE(json::getObject(m.clientCapabilities, "elicitation"), nullptr);
  EXPECT_EQ(json::getString(m.clientInfo, "name"), "c");
  EXPECT_EQ(m.logLevel, LogLevel::Warning);
}

TEST(ReadModernMeta, OptionalFieldsMayBeAbsent) {
  const ModernMeta m = readModernMeta(json::parseObject(R"({"_meta":{
      "io.modelcontextprotocol/protocolVersion":"2099-01-01",
      "io.modelcontextprotocol/clientCapabilities":{}}})"));
  EXPECT_EQ(m.version, "2099-01-01");
  EXPECT_EQ(m.logLevel, std::nullopt);
  EXPECT_EQ(m.clientInfo, nullptr);
}

TEST(ReadModernMeta, MissingMetaIsInvalidParams) {
  EXPECT_EQ(metaErrorCode("{}"), codes::kInvalidParams);
  EXPECT_EQ(metaErrorCode(R"({"_meta":"x"})"), codes::kInvalidParams);
}

TEST(ReadModernMeta, MissingOrEmptyVersionIsInvalidParams) {
  EXPECT_EQ(metaErrorCode(R"({"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}})"),
            codes::kInvalidParams);
  EXPECT_EQ(metaErrorCode(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"",
                                       "io.modelcontextprotocol/clientCapabilities":{}}})"),
            codes::kInvalidParams);
  EXPECT_EQ(metaErrorCode(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":20260728,
                                       "io.modelcontextprotocol/clientCapabilities":{}}})"),
            codes::kInvalidParams);
}

TEST(ReadModernMeta, MissingCapabilitiesIsInvalidParams) {
  EXPECT_EQ(metaErrorCode(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}})"),
            codes::kInvalidParams);
  EXPECT_EQ(metaErrorCode(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
                                       "io.modelcontextprotocol/clientCapabilities":[]}})"),
            codes::kInvalidParams);
}

TEST(ReadModernMeta, BadLogLevelIsInvalidParams) {
  for (const char* level : {"\"loud\"", "\"INFO\"", "3", "null"}) {
    EXPECT_EQ(metaErrorCode(
                  std::string(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
                                       "io.modelcontextprotocol/clientCapabilities":{},
                                       "io.modelcontextprotocol/logLevel":)") +
                  level + "}}"),
              codes::kInvalidParams)
        << level;
  }
}

}  // namespace
}  // namespace portcullis::mcp
