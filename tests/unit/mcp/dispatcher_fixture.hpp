#pragma once
// A Dispatcher wired to a real Catalog, SessionStore and ChangeFeed, with two
// fake providers:
//   alpha: tools "echo" and "strict" (schema {n: integer, required}),
//          prompt "greet", resource "file:///a.txt"
//   beta:  tool "beta_tool", resource template "notes://{id}"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "core/mcp/dispatcher.hpp"
#include "tests/unit/mcp/fakes.hpp"

namespace portcullis::mcp::fakes {

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alpha->setList(
        ListKind::Tools,
        "[" + toolJson("echo") + "," +
            toolJson("strict", R"({"type":"object","properties":{"n":{"type":"integer"}},)"
                               R"("required":["n"],"additionalProperties":false})") +
            "]");
    alpha->setList(ListKind::Prompts, R"([{"name":"greet","arguments":[{"name":"who"}]}])");
    alpha->setList(ListKind::Resources, R"([{"uri":"file:///a.txt","name":"a"}])");
    beta->setList(ListKind::Tools, "[" + toolJson("beta_tool") + "]");
    beta->setList(ListKind::ResourceTemplates,
                  R"([{"uriTemplate":"notes://{id}","name":"notes"}])");
    catalog.addProvider(alpha);
    catalog.addProvider(beta);
    options.clientRequestTimeout = kWait;
    rebuild();
  }

  void rebuild() { dispatcher = std::make_unique<Dispatcher>(catalog, sessions, feed, options); }

  // A legacy scope, for a session when one is given.
  RequestScope legacy(std::shared_ptr<Session> session = nullptr) {
    RequestScope scope;
    scope.era = Era::Legacy;
    scope.version = "2025-11-25";
    scope.session = session;
    if (session) {
      scope.version = session->version();
      scope.clientCapabilities = session->clientCapabilities();
      scope.clientInfo = session->clientInfo();
      scope.logLevel = session->logLevel();
    } else {
      scope.clientCapabilities = json::makeObject();
    }
    scope.cancellation = std::make_shared<Cancellation>();
    return scope;
  }

  RequestScope modern(const std::string& capabilities = "{}",
                      std::optional<LogLevel> logLevel = {}) {
    RequestScope scope;
    scope.era = Era::Modern;
    scope.version = std::string(kModernVersion);
    scope.clientCapabilities = json::parseObject(capabilities);
    scope.clientInfo = json::parseObject(R"({"name":"modern-client","version":"1"})");
    scope.logLevel = logLevel;
    scope.cancellation = std::make_shared<Cancellation>();
    return scope;
  }

  // Runs initialize for a new session and marks it initialized.
  std::shared_ptr<Session> initializedSession(const std::string& capabilities = "{}",
                                              const std::string& version = "2025-11-25") {
    RequestScope scope = legacy();
    const Reply reply = dispatcher->handle(
        request(0, "initialize",
                R"({"protocolVersion":")" + version + R"(","capabilities":)" + capabilities +
                    R"(,"clientInfo":{"name":"legacy-client","version":"1"}})"),
        scope);
    EXPECT_NE(reply.session, nullptr) << reply.body;
    if (reply.session) reply.session->markInitialized();
    return reply.session;
  }

  // Handles a request and returns the parsed response.
  json::ObjectPtr call(const jsonrpc::Message& message, RequestScope& scope) {
    last = dispatcher->handle(message, scope);
    if (last.kind == Reply::Kind::None) return nullptr;
    return json::parseObject(last.body);
  }
  json::ObjectPtr call(const std::string& method, const std::string& params, RequestScope& scope) {
    return call(request(++nextId, method, params), scope);
  }

  static json::ObjectPtr resultOf(const json::ObjectPtr& response) {
    return json::getObject(response, "result");
  }
  static json::ObjectPtr errorOf(const json::ObjectPtr& response) {
    return json::getObject(response, "error");
  }
  static int64_t errorCode(const json::ObjectPtr& response) {
    return json::getInt(errorOf(response), "code").value_or(0);
  }

  Catalog catalog;
  SessionStore sessions{4};
  ChangeFeed feed{catalog, sessions};
  std::shared_ptr<FakeProvider> alpha = std::make_shared<FakeProvider>("alpha");
  std::shared_ptr<FakeProvider> beta = std::make_shared<FakeProvider>("beta");
  DispatcherOptions options;
  std::unique_ptr<Dispatcher> dispatcher;
  Reply last;
  int64_t nextId = 100;
};

// A result object with the given text as its only content.
inline json::ObjectPtr textResult(const std::string& text) {
  json::ObjectPtr result = json::makeObject();
  json::ArrayPtr content = json::makeArray();
  json::ObjectPtr item = json::makeObject();
  item->set("type", std::string("text"));
  item->set("text", text);
  content->add(item);
  result->set("content", content);
  return result;
}

}  // namespace portcullis::mcp::fakes
