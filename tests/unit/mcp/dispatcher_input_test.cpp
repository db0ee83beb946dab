// Input from the client while a request runs, bridged between generations
// (core/mcp/dispatcher.cpp, core/mcp/call_context.cpp):
//  - a provider answering resultType "input_required" to a legacy client: the
//    questions go out as server-to-client requests and the provider is called
//    again with inputResponses;
//  - a provider calling CallContext::clientRequest for a modern client: the
//    call ends with an input_required result and a sealed requestState, and
//    the retry replays the answers to the provider.

#include <gtest/gtest.h>

#include <future>
#include <string>

#include "core/mcp/dispatcher.hpp"
#include "tests/unit/mcp/dispatcher_fixture.hpp"

namespace portcullis::mcp {
namespace {

using fakes::DispatcherTest;
using fakes::kWait;
using fakes::RecordingOutbound;
using fakes::request;
using fakes::textResult;
using ClientStatus = CallContext::ClientReply::Status;
namespace codes = jsonrpc::codes;

const char* kQuestion = R"({"resultType":"input_required",
  "inputRequests":{"confirm":{"method":"elicitation/create",
    "params":{"message":"Proceed?","requestedSchema":{"type":"object","properties":{}}}}},
  "requestState":"round-1"})";

// Asks once (input_required), then reports what the retry carried.
Outcome askThenEcho(const std::string&, const json::ObjectPtr& params, CallContext&) {
  auto responses = json::getObject(params, "inputResponses");
  if (!responses) return Outcome::ok(json::parseObject(kQuestion));
  json::ObjectPtr out = textResult("done");
  out->set("structuredContent", responses);
  out->set("sawState", json::getString(params, "requestState").value_or(""));
  return Outcome::ok(out);
}

// The client's answer to a server-to-client request it received.
jsonrpc::Message answerTo(const json::ObjectPtr& asked, const std::string& resultJson) {
  return jsonrpc::toMessage(json::parse(jsonrpc::response(asked->get("id"), resultJson)));
}

jsonrpc::Message errorAnswerTo(const json::ObjectPtr& asked, int code, const std::string& message) {
  return jsonrpc::toMessage(json::parse(jsonrpc::errorResponse(asked->get("id"), code, message)));
}

// ---- legacy clients: input_required becomes server-to-client requests --------------------

class LegacyInputBridge : public DispatcherTest {
 protected:
  void SetUp() override {
    DispatcherTest::SetUp();
    alpha->setHandler(askThenEcho);
  }

  // Starts tools/call echo on another thread.
  std::future<Reply> start(RequestScope& scope) {
    message = request(1, "tools/call", R"({"name":"echo","arguments":{}})");
    return std::async(std::launch::async,
                      [this, &scope] { return dispatcher->handle(message, scope); });
  }

  jsonrpc::Message message;
};

TEST_F(LegacyInputBridge, ProviderIsCalledAgainWithTheClientsAnswer) {
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto running = start(scope);

  ASSERT_TRUE(stream->waitFor(1)) << "no server-to-client request was sent";
  auto asked = stream->parsed()[0];
  EXPECT_EQ(json::getString(asked, "method"), "elicitation/create");
  EXPECT_EQ(json::getString(json::getObject(asked, "params"), "message"), "Proceed?");
  ASSERT_TRUE(json::isInteger(asked->get("id")));
  ASSERT_TRUE(
      session->resolveReply(answerTo(asked, R"({"action":"accept","content":{"ok":true}})")));

  ASSERT_EQ(running.wait_for(kWait), std::future_status::ready);
  const Reply reply = running.get();
  auto result = resultOf(json::parseObject(reply.body));
  ASSERT_NE(result, nullptr) << reply.body;
  EXPECT_FALSE(result->has("resultType"));
  auto confirm = json::getObject(json::getObject(result, "structuredContent"), "confirm");
  EXPECT_EQ(json::getString(confirm, "action"), "accept");
  EXPECT_EQ(json::getString(result, "sawState"), "round-1");
  ASSERT_EQ(alpha->calls().size(), 2u);
  EXPECT_FALSE(alpha->calls()[0].params->has("inputResponses"));
}

TEST_F(LegacyInputBridge, QuestionsGoToTheSessionStreamWhenTheRequestHasNone) {
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  session->setNotificationStream(stream);
  RequestScope scope = legacy(session);
  auto running = start(scope);
  ASSERT_TRUE(stream->waitFor(1));
  ASSERT_TRUE(session->resolveReply(answerTo(stream->parsed()[0], R"({"action":"decline"})")));
  ASSERT_EQ(running.wait_for(kWait), std::future_status::ready);
  EXPECT_NE(resultOf(json::parseObject(running.get().body)), nullptr);
}

TEST_F(LegacyInputBridge, ClientErrorAnswerBecomesTheRequestsError) {
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto running = start(scope);
  ASSERT_TRUE(stream->waitFor(1));
  ASSERT_TRUE(session->resolveReply(errorAnswerTo(stream->parsed()[0], -1, "user said no")));
  ASSERT_EQ(running.wait_for(kWait), std::future_status::ready);
  auto response = json::parseObject(running.get().body);
  EXPECT_EQ(errorCode(response), -1);
  EXPECT_NE(json::getString(errorOf(response), "message").value_or("").find("user said no"),
            std::string::npos);
  EXPECT_EQ(alpha->calls().size(), 1u);
}

TEST_F(LegacyInputBridge, ClosingTheSessionAbandonsTheWaitWithoutAResponse) {
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto running = start(scope);
  ASSERT_TRUE(stream->waitFor(1));
  session->close();
  ASSERT_EQ(running.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(running.get().kind, Reply::Kind::None);
  EXPECT_EQ(alpha->calls().size(), 1u);
}

TEST_F(LegacyInputBridge, CancellingTheRequestAbandonsTheWait) {
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto running = start(scope);
  ASSERT_TRUE(stream->waitFor(1));
  scope.cancellation->cancel();
  ASSERT_EQ(running.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(running.get().kind, Reply::Kind::None);
}

TEST_F(LegacyInputBridge, ClientWithoutTheCapabilityGetsAnErrorAtOnce) {
  auto session = initializedSession("{}");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto response = call(request(1, "tools/call", R"({"name":"echo"})"), scope);
  EXPECT_EQ(errorCode(response), codes::kMissingClientCapability);
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(LegacyInputBridge, ClientWithoutAnOpenStreamGetsAnError) {
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  stream->setConnected(false);
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto response = call(request(1, "tools/call", R"({"name":"echo"})"), scope);
  EXPECT_EQ(errorCode(response), codes::kInternalError);
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(LegacyInputBridge, UnansweredQuestionTimesOut) {
  options.clientRequestTimeout = std::chrono::milliseconds(1);
  rebuild();
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto response = call(request(1, "tools/call", R"({"name":"echo"})"), scope);
  EXPECT_EQ(errorCode(response), codes::kInternalError);
  EXPECT_EQ(stream->count(), 1u);
}

TEST_F(LegacyInputBridge, InputRequiredWithoutQuestionsIsAnInternalError) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    return Outcome::ok(json::parseObject(R"({"resultType":"input_required"})"));
  });
  RequestScope scope = legacy(initializedSession(R"({"elicitation":{}})"));
  EXPECT_EQ(errorCode(call(request(1, "tools/call", R"({"name":"echo"})"), scope)),
            codes::kInternalError);
}

TEST_F(LegacyInputBridge, EndlessInputRequestsStopAfterTheRoundLimit) {
  options.maxInputRounds = 3;
  rebuild();
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    return Outcome::ok(json::parseObject(kQuestion));
  });
  auto session = initializedSession(R"({"elicitation":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto running = start(scope);
  for (size_t answered = 0; answered < 2; ++answered) {
    ASSERT_TRUE(stream->waitFor(answered + 1));
    ASSERT_TRUE(
        session->resolveReply(answerTo(stream->parsed()[answered], R"({"action":"accept"})")));
  }
  ASSERT_EQ(running.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(errorCode(json::parseObject(running.get().body)), codes::kInternalError);
  EXPECT_EQ(alpha->calls().size(), 3u);
}

TEST_F(LegacyInputBridge, ProviderAskingDirectlyUsesAServerToClientRequest) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext& context) {
    auto reply = context.clientRequest("roots/list", json::makeObject());
    if (reply.status != ClientStatus::Ok) return Outcome::error(-32603, "no roots");
    json::ObjectPtr out = textResult("ok");
    out->set("structuredContent", reply.result);
    return Outcome::ok(out);
  });
  auto session = initializedSession(R"({"roots":{}})");
  auto stream = std::make_shared<RecordingOutbound>();
  RequestScope scope = legacy(session);
  scope.stream = stream;
  auto running = start(scope);
  ASSERT_TRUE(stream->waitFor(1));
  EXPECT_EQ(json::getString(stream->parsed()[0], "method"), "roots/list");
  ASSERT_TRUE(
      session->resolveReply(answerTo(stream->parsed()[0], R"({"roots":[{"uri":"file:///w"}]})")));
  ASSERT_EQ(running.wait_for(kWait), std::future_status::ready);
  auto result = resultOf(json::parseObject(running.get().body));
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(json::getArray(json::getObject(result, "structuredContent"), "roots")->size(), 1u);
}

// ---- modern clients: clientRequest becomes input_required + sealed requestState ---------

class ModernReplayBridge : public DispatcherTest {
 protected:
  void SetUp() override {
    DispatcherTest::SetUp();
    // Asks one question per entry of `questions`, in order; reports the answers.
    alpha->setHandler([this](const std::string&, const json::ObjectPtr&, CallContext& context) {
      json::ArrayPtr answers = json::makeArray();
      for (const auto& q : questions) {
        auto reply = context.clientRequest("elicitation/create",
                                           json::parseObject(R"({"message":")" + q + "\"}"));
        if (reply.status == ClientStatus::InputRequired)
          return Outcome{Outcome::Status::InputRequired, {}, 0, {}, {}};
        if (reply.status != ClientStatus::Ok) {
          return Outcome::error(json::getInt(reply.error, "code").value_or(0), "client error");
        }
        answers->add(reply.result);
      }
      json::ObjectPtr out = textResult("answered");
      json::ObjectPtr structured = json::makeObject();
      structured->set("answers", answers);
      out->set("structuredContent", structured);
      return Outcome::ok(out);
    });
  }

  // tools/call echo, with requestState and inputResponses when given.
  json::ObjectPtr callEcho(RequestScope& scope, const std::string& state = {},
                           json::ObjectPtr responses = nullptr, const std::string& tool = "echo") {
    json::ObjectPtr params = json::makeObject();
    params->set("name", tool);
    params->set("arguments", json::makeObject());
    if (!state.empty()) params->set("requestState", state);
    if (responses) params->set("inputResponses", responses);
    return call("tools/call", json::stringify(params), scope);
  }

  static json::ObjectPtr answer(const std::string& key, const std::string& resultJson) {
    json::ObjectPtr responses = json::makeObject();
    responses->set(key, json::parseObject(resultJson));
    return responses;
  }

  std::vector<std::string> questions{"Name?"};
};

TEST_F(ModernReplayBridge, FirstRoundEndsWithInputRequired) {
  RequestScope scope = modern(R"({"elicitation":{}})");
  auto result = resultOf(callEcho(scope));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getString(result, "resultType"), "input_required");
  auto asked = json::getObject(json::getObject(result, "inputRequests"), "portcullis/0");
  ASSERT_NE(asked, nullptr) << last.body;
  EXPECT_EQ(json::getString(asked, "method"), "elicitation/create");
  EXPECT_EQ(json::getString(json::getObject(asked, "params"), "message"), "Name?");
  const std::string state = json::getString(result, "requestState").value_or("");
  EXPECT_TRUE(RequestStateSealer::looksSealed(state)) << state;
  EXPECT_FALSE(result->has("ttlMs"));
  EXPECT_NE(json::getObject(json::getObject(result, "_meta"), meta::kServerInfo), nullptr);
}

TEST_F(ModernReplayBridge, RetryWithTheAnswerCompletes) {
  RequestScope scope = modern(R"({"elicitation":{}})");
  const std::string state = json::getString(resultOf(callEcho(scope)), "requestState").value_or("");
  auto result = resultOf(callEcho(
      scope, state, answer("portcullis/0", R"({"action":"accept","content":{"name":"Ada"}})")));
  ASSERT_NE(result, nullptr) << last.body;
  EXPECT_EQ(json::getString(result, "resultType"), "complete");
  auto answers = json::getArray(json::getObject(result, "structuredContent"), "answers");
  ASSERT_NE(answers, nullptr) << last.body;
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ(json::getString(json::getObject(json::asObject(answers->get(0)), "content"), "name"),
            "Ada");
}

TEST_F(ModernReplayBridge, ProviderDoesNotSeeTheCoresReplayParameters) {
  RequestScope scope = modern(R"({"elicitation":{}})");
  const std::string state = json::getString(resultOf(callEcho(scope)), "requestState").value_or("");
  callEcho(scope, state, answer("portcullis/0", R"({"action":"accept"})"));
  ASSERT_EQ(alpha->calls().size(), 2u);
  EXPECT_FALSE(alpha->calls()[1].params->has("requestState"));
  EXPECT_FALSE(alpha->calls()[1].params->has("inputResponses"));
}

TEST_F(ModernReplayBridge, SeveralRoundsAccumulateAnswers) {
  questions = {"First?", "Second?"};
  RequestScope scope = modern(R"({"elicitation":{}})");
  auto round1 = resultOf(callEcho(scope));
  const std::string state1 = json::getString(round1, "requestState").value_or("");
  auto round2 = resultOf(
      callEcho(scope, state1, answer("portcullis/0", R"({"action":"accept","content":{"v":1}})")));
  ASSERT_NE(round2, nullptr) << last.body;
  EXPECT_EQ(json::getString(round2, "resultType"), "input_required");
  auto asked = json::getObject(json::getObject(round2, "inputRequests"), "portcullis/1");
  ASSERT_NE(asked, nullptr) << last.body;
  EXPECT_EQ(json::getString(json::getObject(asked, "params"), "message"), "Second?");
  const std::string state2 = json::getString(round2, "requestState").value_or("");

  auto round3 = resultOf(
      callEcho(scope, state2, answer("portcullis/1", R"({"action":"accept","content":{"v":2}})")));
  ASSERT_NE(round3, nullptr) << last.body;
  EXPECT_EQ(json::getString(round3, "resultType"), "complete");
  auto answers = json::getArray(json::getObject(round3, "structuredContent"), "answers");
  ASSERT_EQ(answers->size(), 2u);
  EXPECT_EQ(json::getInt(json::getObject(json::asObject(answers->get(0)), "content"), "v"), 1);
  EXPECT_EQ(json::getInt(json::getObject(json::asObject(answers->get(1)), "content"), "v"), 2);
}

TEST_F(ModernReplayBridge, TamperedRequestStateIsInvalidParams) {
  RequestScope scope = modern(R"({"elicitation":{}})");
  std::string state = json::getString(resultOf(callEcho(scope)), "requestState").value_or("");
  ASSERT_GT(state.size(), 10u);
  state[8] = state[8] == 'A' ? 'B' : 'A';
  auto response = callEcho(scope, state, answer("portcullis/0", R"({"action":"accept"})"));
  EXPECT_EQ(errorCode(response), codes::kInvalidParams);
  EXPECT_EQ(alpha->calls().size(), 1u);
}

TEST_F(ModernReplayBridge, RequestStateOfAnotherToolIsInvalidParams) {
  RequestScope scope = modern(R"({"elicitation":{}})");
  const std::string state = json::getString(resultOf(callEcho(scope)), "requestState").value_or("");
  auto response =
      callEcho(scope, state, answer("portcullis/0", R"({"action":"accept"})"), "beta_tool");
  EXPECT_EQ(errorCode(response), codes::kInvalidParams);
  EXPECT_TRUE(beta->calls().empty());
}

TEST_F(ModernReplayBridge, ClientWithoutTheCapabilityGetsAMissingCapabilityError) {
  RequestScope scope = modern("{}");
  auto response = callEcho(scope);
  EXPECT_EQ(errorCode(response), codes::kMissingClientCapability);
}

TEST_F(ModernReplayBridge, MalformedRetryParametersAreInvalidParams) {
  RequestScope scope = modern(R"({"elicitation":{}})");
  for (const char* params : {R"({"name":"echo","inputResponses":[]})",
                             R"({"name":"echo","inputResponses":{"portcullis/0":"yes"}})",
                             R"({"name":"echo","requestState":42})"}) {
    EXPECT_EQ(errorCode(call("tools/call", params, scope)), codes::kInvalidParams) << params;
  }
  EXPECT_TRUE(alpha->calls().empty());
}

TEST_F(ModernReplayBridge, InputRequiredWithoutAQuestionIsAnInternalError) {
  alpha->setHandler([](const std::string&, const json::ObjectPtr&, CallContext&) {
    return Outcome{Outcome::Status::InputRequired, {}, 0, {}, {}};
  });
  RequestScope scope = modern(R"({"elicitation":{}})");
  EXPECT_EQ(errorCode(callEcho(scope)), codes::kInternalError);
}

TEST_F(ModernReplayBridge, ProvidersOwnInputRequiredPassesThrough) {
  alpha->setHandler(askThenEcho);
  RequestScope scope = modern(R"({"elicitation":{}})");
  auto first = resultOf(callEcho(scope));
  ASSERT_NE(first, nullptr) << last.body;
  EXPECT_EQ(json::getString(first, "resultType"), "input_required");
  EXPECT_EQ(json::getString(first, "requestState"), "round-1");
  EXPECT_NE(json::getObject(json::getObject(first, "inputRequests"), "confirm"), nullptr);

  auto second = resultOf(callEcho(scope, "round-1", answer("confirm", R"({"action":"accept"})")));
  ASSERT_NE(second, nullptr) << last.body;
  EXPECT_EQ(json::getString(second, "resultType"), "complete");
  EXPECT_EQ(json::getString(second, "sawState"), "round-1");
  EXPECT_EQ(json::getString(
                json::getObject(json::getObject(second, "structuredContent"), "confirm"), "action"),
            "accept");
}

TEST_F(ModernReplayBridge, LegacyClientWithoutAStreamCannotBeAsked) {
  // A legacy client has no input_required results; without a stream the
  // question cannot reach it and clientRequest reports an error.
  RequestScope scope = legacy(initializedSession(R"({"elicitation":{}})"));
  auto response = callEcho(scope);
  EXPECT_EQ(errorCode(response), codes::kInternalError);
}

}  // namespace
}  // namespace portcullis::mcp
