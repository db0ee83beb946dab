// What a provider can do while it serves a request: progress, log messages,
// request information and the client-capability checks
// (core/mcp/call_context.hpp), driven through the Dispatcher.

#include "core/mcp/call_context.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/mcp/dispatcher_fixture.hpp"

namespace portcullis::mcp {
namespace {

using fakes::DispatcherTest;
using fakes::RecordingOutbound;
using fakes::request;
using fakes::textResult;

class CallContextTest : public DispatcherTest {
 protected:
  void SetUp() override {
    DispatcherTest::SetUp();
    alpha->setHandler([this](const std::string&, const json::ObjectPtr&, CallContext& context) {
      if (action) action(context);
      return Outcome::ok(textResult("ok"));
    });
  }

  // tools/call echo with the given _meta (JSON text) on `scope` with `stream`.
  void callWithMeta(RequestScope& scope, const std::string& metaJson = "") {
    scope.stream = stream;
    const std::string params =
        metaJson.empty() ? R"({"name":"echo"})" : R"({"name":"echo","_meta":)" + metaJson + "}";
    auto response = call(request(7, "tools/call", params), scope);
    ASSERT_NE(resultOf(response), nullptr) << last.body;
  }

  std::vector<std::string> loggedLevels() const {
    std::vector<std::string> out;
    for (const auto& m : stream->withMethod("notifications/message")) {
      out.push_back(json::getString(json::getObject(m, "params"), "level").value_or("?"));
    }
    return out;
  }

  void logInfoAndError(CallContext& context) {
    context.log(LogLevel::Info, "tests", json::Value(std::string("info message")));
    context.log(LogLevel::Error, "tests", json::Value(std::string("error message")));
  }

  std::function<void(CallContext&)> action;
  std::shared_ptr<RecordingOutbound> stream = std::make_shared<RecordingOutbound>();
};

// ---- progress -----------------------------------------------------------------------

TEST_F(CallContextTest, ProgressIsSentWithAStringToken) {
  action = [](CallContext& c) { c.progress(1, 2, "half way"); };
  RequestScope scope = legacy(initializedSession());
  callWithMeta(scope, R"({"progressToken":"tok-1"})");
  auto progress = stream->withMethod("notifications/progress");
  ASSERT_EQ(progress.size(), 1u);
  auto params = json::getObject(progress[0], "params");
  ASSERT_TRUE(json::isString(params->get("progressToken")));
  EXPECT_EQ(json::getString(params, "progressToken"), "tok-1");
  EXPECT_EQ(json::getNumber(params, "progress"), 1.0);
  EXPECT_EQ(json::getNumber(params, "total"), 2.0);
  EXPECT_EQ(json::getString(params, "message"), "half way");
}

TEST_F(CallContextTest, ProgressEchoesAnIntegerTokenAsAnInteger) {
  action = [](CallContext& c) { c.progress(0.5, std::nullopt, ""); };
  RequestScope scope = modern();
  callWithMeta(scope, R"({"progressToken":42})");
  auto progress = stream->withMethod("notifications/progress");
  ASSERT_EQ(progress.size(), 1u);
  auto params = json::getObject(progress[0], "params");
  ASSERT_TRUE(json::isInteger(params->get("progressToken")));
  EXPECT_EQ(json::getInt(params, "progressToken"), 42);
  EXPECT_FALSE(params->has("total"));
  EXPECT_FALSE(params->has("message"));
}

TEST_F(CallContextTest, NoProgressWithoutAToken) {
  action = [](CallContext& c) { c.progress(1, 2, "x"); };
  RequestScope scope = legacy(initializedSession());
  callWithMeta(scope);
  callWithMeta(scope, R"({})");
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(CallContextTest, NoProgressForATokenOfTheWrongType) {
  action = [](CallContext& c) { c.progress(1, 2, "x"); };
  RequestScope scope = legacy(initializedSession());
  callWithMeta(scope, R"({"progressToken":1.5})");
  callWithMeta(scope, R"({"progressToken":null})");
  callWithMeta(scope, R"({"progressToken":{"a":1}})");
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(CallContextTest, NoProgressWithoutAStream) {
  action = [](CallContext& c) { c.progress(1, 2, "x"); };
  RequestScope scope = legacy(initializedSession());
  auto response =
      call(request(7, "tools/call", R"({"name":"echo","_meta":{"progressToken":"t"}})"), scope);
  EXPECT_NE(resultOf(response), nullptr);
}

// ---- log messages ------------------------------------------------------------------

TEST_F(CallContextTest, ModernRequestWithoutLogLevelGetsNoLogMessages) {
  action = [this](CallContext& c) { logInfoAndError(c); };
  RequestScope scope = modern();
  callWithMeta(scope);
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(CallContextTest, ModernRequestGetsMessagesAtOrAboveItsLevel) {
  action = [this](CallContext& c) { logInfoAndError(c); };
  RequestScope scope = modern("{}", LogLevel::Warning);
  callWithMeta(scope);
  EXPECT_EQ(loggedLevels(), std::vector<std::string>{"error"});
  auto params = json::getObject(stream->withMethod("notifications/message")[0], "params");
  EXPECT_EQ(json::getString(params, "logger"), "tests");
  EXPECT_EQ(json::getString(params, "data"), "error message");
}

TEST_F(CallContextTest, ModernDebugLevelGetsEverything) {
  action = [this](CallContext& c) { logInfoAndError(c); };
  RequestScope scope = modern("{}", LogLevel::Debug);
  callWithMeta(scope);
  EXPECT_EQ(loggedLevels(), (std::vector<std::string>{"info", "error"}));
}

TEST_F(CallContextTest, LegacySessionWithoutLevelGetsEveryMessage) {
  action = [this](CallContext& c) { logInfoAndError(c); };
  RequestScope scope = legacy(initializedSession());
  callWithMeta(scope);
  EXPECT_EQ(loggedLevels(), (std::vector<std::string>{"info", "error"}));
}

TEST_F(CallContextTest, LegacySessionLevelFiltersMessages) {
  action = [this](CallContext& c) { logInfoAndError(c); };
  auto session = initializedSession();
  RequestScope setLevelScope = legacy(session);
  ASSERT_NE(resultOf(call("logging/setLevel", R"({"level":"error"})", setLevelScope)), nullptr);
  RequestScope scope = legacy(session);
  callWithMeta(scope);
  EXPECT_EQ(loggedLevels(), std::vector<std::string>{"error"});
}

TEST_F(CallContextTest, LegacyLevelChangedDuringTheRequestApplies) {
  auto session = initializedSession();
  action = [this, session](CallContext& c) {
    session->setLogLevel(LogLevel::Critical);
    logInfoAndError(c);
  };
  RequestScope scope = legacy(session);
  callWithMeta(scope);
  EXPECT_TRUE(loggedLevels().empty());
}

TEST_F(CallContextTest, EmptyLoggerNameIsLeftOut) {
  action = [](CallContext& c) { c.log(LogLevel::Error, "", json::Value(int64_t{1})); };
  RequestScope scope = legacy(initializedSession());
  callWithMeta(scope);
  auto messages = stream->withMethod("notifications/message");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_FALSE(json::getObject(messages[0], "params")->has("logger"));
}

// ---- request information -------------------------------------------------------------

TEST_F(CallContextTest, InfoDescribesALegacyRequest) {
  json::ObjectPtr seen;
  action = [&seen](CallContext& c) { seen = c.info(); };
  auto session = initializedSession("{}", "2025-06-18");
  RequestScope scope = legacy(session);
  callWithMeta(scope);
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(json::getInt(seen, "requestId"), 7);
  EXPECT_EQ(json::getString(seen, "protocolVersion"), "2025-06-18");
  EXPECT_EQ(json::getString(seen, "sessionId"), session->id());
  EXPECT_EQ(json::getString(json::getObject(seen, "clientInfo"), "name"), "legacy-client");
  EXPECT_EQ(json::getString(json::getObject(seen, "principal"), "subject"), "anonymous");
}

TEST_F(CallContextTest, InfoDescribesAModernRequest) {
  json::ObjectPtr seen;
  action = [&seen](CallContext& c) { seen = c.info(); };
  RequestScope scope = modern(R"({"sampling":{}})");
  callWithMeta(scope);
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(json::getString(seen, "protocolVersion"), "2026-07-28");
  EXPECT_FALSE(seen->has("sessionId"));
  EXPECT_NE(json::getObject(json::getObject(seen, "clientCapabilities"), "sampling"), nullptr);
}

TEST_F(CallContextTest, ReleaseStreamReleasesTheRequestsStream) {
  action = [](CallContext& c) { c.releaseStream(); };
  RequestScope scope = modern();
  callWithMeta(scope);
  EXPECT_EQ(stream->releases(), 1);
}

TEST_F(CallContextTest, CancelledReflectsTheRequestsCancellation) {
  bool wasCancelled = false;
  RequestScope scope = legacy(initializedSession());
  action = [&](CallContext& c) {
    scope.cancellation->cancel();
    wasCancelled = c.cancelled();
  };
  callWithMeta(scope);
  EXPECT_TRUE(wasCancelled);
}

// ---- client capabilities ------------------------------------------------------------

TEST(ClientSupports, SamplingNeedsTheCapability) {
  EXPECT_FALSE(RequestCallContext::clientSupports(json::makeObject(), "sampling/createMessage",
                                                  json::makeObject()));
  EXPECT_TRUE(RequestCallContext::clientSupports(json::parseObject(R"({"sampling":{}})"),
                                                 "sampling/createMessage", json::makeObject()));
}

TEST(ClientSupports, SamplingWithToolsNeedsTheToolsSubCapability) {
  const auto params = json::parseObject(R"({"tools":[]})");
  EXPECT_FALSE(RequestCallContext::clientSupports(json::parseObject(R"({"sampling":{}})"),
                                                  "sampling/createMessage", params));
  EXPECT_TRUE(RequestCallContext::clientSupports(json::parseObject(R"({"sampling":{"tools":{}}})"),
                                                 "sampling/createMessage", params));
}

TEST(ClientSupports, UrlElicitationNeedsTheUrlSubCapability) {
  const auto form = json::parseObject(R"({"elicitation":{}})");
  const auto url = json::parseObject(R"({"elicitation":{"url":{}}})");
  const auto urlParams = json::parseObject(R"({"mode":"url","url":"https://x"})");
  EXPECT_TRUE(RequestCallContext::clientSupports(form, "elicitation/create", json::makeObject()));
  EXPECT_FALSE(RequestCallContext::clientSupports(form, "elicitation/create", urlParams));
  EXPECT_TRUE(RequestCallContext::clientSupports(url, "elicitation/create", urlParams));
  EXPECT_FALSE(RequestCallContext::clientSupports(json::makeObject(), "elicitation/create",
                                                  json::makeObject()));
}

TEST(ClientSupports, RootsPingAndUnknownMethods) {
  EXPECT_TRUE(RequestCallContext::clientSupports(json::parseObject(R"({"roots":{}})"), "roots/list",
                                                 nullptr));
  EXPECT_FALSE(RequestCallContext::clientSupports(json::makeObject(), "roots/list", nullptr));
  EXPECT_TRUE(RequestCallContext::clientSupports(json::makeObject(), "ping", nullptr));
  EXPECT_FALSE(
      RequestCallContext::clientSupports(json::parseObject(R"({"x":{}})"), "x/do", nullptr));
}

TEST(ClientSupports, CapabilityThatIsNotAnObjectDoesNotCount) {
  EXPECT_FALSE(RequestCallContext::clientSupports(json::parseObject(R"({"sampling":true})"),
                                                  "sampling/createMessage", nullptr));
}

}  // namespace
}  // namespace portcullis::mcp
