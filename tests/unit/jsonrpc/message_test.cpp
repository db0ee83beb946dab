// JSON-RPC 2.0: strict parsing of client bodies and the serialisation of
// server messages (core/jsonrpc/message.hpp).

#include "core/jsonrpc/message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::jsonrpc {
namespace {

// The one message of a non-batch body.
Message single(const std::string& text) {
  Body body = parseBody(text);
  EXPECT_FALSE(body.batch);
  EXPECT_EQ(body.messages.size(), 1u);
  return body.messages.empty() ? Message{} : body.messages.front();
}

// The code of the RpcError parseBody throws; 0 when it does not throw.
int parseErrorCode(const std::string& text) {
  try {
    parseBody(text);
  } catch (const RpcError& e) {
    return e.code();
  }
  return 0;
}

// ---- requests and notifications ----------------------------------------------------

TEST(ParseBody, Request) {
  const Message m = single(R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"a":1}})");
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(m.method, "tools/list");
  ASSERT_TRUE(json::isInteger(m.id));
  EXPECT_EQ(m.id.convert<int64_t>(), 1);
  ASSERT_NE(m.params, nullptr);
  EXPECT_EQ(json::getInt(m.params, "a"), 1);
}

TEST(ParseBody, RequestWithoutParamsGetsAnEmptyObject) {
  const Message m = single(R"({"jsonrpc":"2.0","id":"x","method":"ping"})");
  EXPECT_TRUE(m.isRequest());
  ASSERT_NE(m.params, nullptr);
  EXPECT_EQ(m.params->size(), 0u);
}

TEST(ParseBody, Notification) {
  const Message m = single(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_TRUE(m.isNotification());
  EXPECT_TRUE(m.id.isEmpty());
  ASSERT_NE(m.params, nullptr);
}

TEST(ParseBody, IdZeroIsKept) {
  const Message m = single(R"({"jsonrpc":"2.0","id":0,"method":"ping"})");
  EXPECT_TRUE(m.isRequest());
  ASSERT_TRUE(json::isInteger(m.id));
  EXPECT_EQ(m.id.convert<int64_t>(), 0);
  EXPECT_EQ(idKey(m.id), "n:0");
}

TEST(ParseBody, StringIdsAreKept) {
  const Message m = single(R"({"jsonrpc":"2.0","id":"req-7","method":"ping"})");
  EXPECT_TRUE(m.isRequest());
  ASSERT_TRUE(json::isString(m.id));
  EXPECT_EQ(m.id.extract<std::string>(), "req-7");
}

TEST(ParseBody, EmptyStringIdIsKept) {
  const Message m = single(R"({"jsonrpc":"2.0","id":"","method":"ping"})");
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(idKey(m.id), "s:");
}

TEST(ParseBody, LargeIntegerIdIsKeptExactly) {
  const Message m = single(R"({"jsonrpc":"2.0","id":9007199254740993,"method":"ping"})");
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(idKey(m.id), "n:9007199254740993");
}

TEST(ParseBody, NullIdOnRequestIsRejected) {
  const Message m = single(R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
  EXPECT_EQ(m.kind, Kind::Invalid);
  EXPECT_TRUE(m.id.isEmpty());
}

TEST(ParseBody, FloatIdIsRejected) {
  const Message m = single(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})");
  EXPECT_EQ(m.kind, Kind::Invalid);
  EXPECT_TRUE(m.id.isEmpty());
}

TEST(ParseBody, BooleanIdIsRejected) {
  const Message m = single(R"({"jsonrpc":"2.0","id":true,"method":"ping"})");
  EXPECT_EQ(m.kind, Kind::Invalid);
  EXPECT_TRUE(m.id.isEmpty());
}

TEST(ParseBody, ObjectAndArrayIdsAreRejected) {
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":{},"method":"ping"})").kind, Kind::Invalid);
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":[1],"method":"ping"})").kind, Kind::Invalid);
}

TEST(ParseBody, ArrayParamsAreRejected) {
  const Message m = single(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":[1,2]})");
  EXPECT_EQ(m.kind, Kind::Invalid);
  EXPECT_FALSE(m.problem.empty());
  // The id survives, so the error response can name the request.
  EXPECT_EQ(idKey(m.id), "n:3");
}

TEST(ParseBody, StringNullAndNumberParamsAreRejected) {
  for (const char* params : {"\"x\"", "null", "1", "true"}) {
    const Message m =
        single(std::string(R"({"jsonrpc":"2.0","id":1,"method":"m","params":)") + params + "}");
    EXPECT_EQ(m.kind, Kind::Invalid) << params;
  }
}

TEST(ParseBody, WrongJsonrpcVersionIsRejected) {
  for (const char* version : {"\"1.0\"", "\"2.0 \"", "2.0", "null"}) {
    const Message m =
        single(std::string(R"({"jsonrpc":)") + version + R"(,"id":1,"method":"ping"})");
    EXPECT_EQ(m.kind, Kind::Invalid) << version;
    EXPECT_EQ(idKey(m.id), "n:1") << version;
  }
}

TEST(ParseBody, MissingJsonrpcMemberIsRejected) {
  EXPECT_EQ(single(R"({"id":1,"method":"ping"})").kind, Kind::Invalid);
}

TEST(ParseBody, EmptyOrNonStringMethodIsRejected) {
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":1,"method":""})").kind, Kind::Invalid);
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":1,"method":5})").kind, Kind::Invalid);
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":1,"method":null})").kind, Kind::Invalid);
}

// ---- responses ---------------------------------------------------------------------

TEST(ParseBody, Response) {
  const Message m = single(R"({"jsonrpc":"2.0","id":3,"result":{"ok":true}})");
  EXPECT_TRUE(m.isResponse());
  EXPECT_EQ(idKey(m.id), "n:3");
  auto result = json::asObject(m.result);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(json::getBool(result, "ok"), true);
  EXPECT_EQ(m.error, nullptr);
}

TEST(ParseBody, ResponseWithNullResult) {
  const Message m = single(R"({"jsonrpc":"2.0","id":"a","result":null})");
  EXPECT_TRUE(m.isResponse());
}

TEST(ParseBody, ErrorResponse) {
  const Message m =
      single(R"({"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"nope","data":{"x":1}}})");
  EXPECT_TRUE(m.isResponse());
  ASSERT_NE(m.error, nullptr);
  EXPECT_EQ(json::getInt(m.error, "code"), -32601);
  EXPECT_EQ(json::getString(m.error, "message"), "nope");
}

TEST(ParseBody, ErrorResponseWithNullIdIsAccepted) {
  const Message m = single(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}})");
  EXPECT_TRUE(m.isResponse());
}

TEST(ParseBody, ResultResponseWithNullOrMissingIdIsRejected) {
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":null,"result":{}})").kind, Kind::Invalid);
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","result":{}})").kind, Kind::Invalid);
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":1.5,"result":{}})").kind, Kind::Invalid);
}

TEST(ParseBody, MalformedErrorObjectIsRejected) {
  for (const char* error :
       {R"({"message":"x"})", R"({"code":1})", R"({"code":"1","message":"x"})",
        R"({"code":1.5,"message":"x"})", R"({"code":1,"message":2})", "\"x\"", "null"}) {
    const Message m = single(std::string(R"({"jsonrpc":"2.0","id":1,"error":)") + error + "}");
    EXPECT_EQ(m.kind, Kind::Invalid) << error;
  }
}

TEST(ParseBody, ResultAndErrorTogetherAreRejected) {
  const Message m =
      single(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}})");
  EXPECT_EQ(m.kind, Kind::Invalid);
}

TEST(ParseBody, NeitherMethodNorResultIsRejected) {
  EXPECT_EQ(single(R"({"jsonrpc":"2.0","id":1})").kind, Kind::Invalid);
}

// ---- batches -----------------------------------------------------------------------

TEST(ParseBody, BatchOfRequestAndNotification) {
  const Body body =
      parseBody(R"([{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}])");
  EXPECT_TRUE(body.batch);
  ASSERT_EQ(body.messages.size(), 2u);
  EXPECT_TRUE(body.messages[0].isRequest());
  EXPECT_TRUE(body.messages[1].isNotification());
}

TEST(ParseBody, EmptyBatchIsAnInvalidRequest) {
  EXPECT_EQ(parseErrorCode("[]"), codes::kInvalidRequest);
  EXPECT_EQ(parseErrorCode(" [ ] "), codes::kInvalidRequest);
}

TEST(ParseBody, BatchWithMixedValidAndInvalidItems) {
  const Body body = parseBody(
      R"([{"jsonrpc":"2.0","id":1,"method":"a"}, 42, {"jsonrpc":"1.0","id":7,"method":"x"}, [],
          {"jsonrpc":"2.0","id":2,"result":{}}])");
  EXPECT_TRUE(body.batch);
  ASSERT_EQ(body.messages.size(), 5u);
  EXPECT_TRUE(body.messages[0].isRequest());
  EXPECT_EQ(body.messages[1].kind, Kind::Invalid);
  EXPECT_EQ(body.messages[2].kind, Kind::Invalid);
  EXPECT_EQ(idKey(body.messages[2].id), "n:7");
  EXPECT_EQ(body.messages[3].kind, Kind::Invalid);
  EXPECT_TRUE(body.messages[4].isResponse());
}

TEST(ParseBody, SingleItemBatchIsStillABatch) {
  const Body body = parseBody(R"([{"jsonrpc":"2.0","id":1,"method":"a"}])");
  EXPECT_TRUE(body.batch);
  EXPECT_EQ(body.messages.size(), 1u);
}

// ---- parse error vs invalid request --------------------------------------------------

TEST(ParseBody, TextThatIsNotJsonIsAParseError) {
  for (const char* text : {"", "{", "nul", "{\"jsonrpc\":\"2.0\",}", "{} {}", "// x\n{}"}) {
    EXPECT_EQ(parseErrorCode(text), codes::kParseError) << text;
  }
}

TEST(ParseBody, NulByteIsAParseError) {
  std::string text = R"({"jsonrpc":"2.0","method":"a)";
  text += '\0';
  text += R"("})";
  EXPECT_EQ(parseErrorCode(text), codes::kParseError);
}

TEST(ParseBody, DuplicateKeysAreAParseError) {
  EXPECT_EQ(parseErrorCode(R"({"jsonrpc":"2.0","id":1,"id":2,"method":"a"})"), codes::kParseError);
  EXPECT_EQ(parseErrorCode(R"({"jsonrpc":"2.0","id":1,"method":"a","params":{"x":1,"x":2}})"),
            codes::kParseError);
}

TEST(ParseBody, JsonThatIsNotAMessageIsAnInvalidRequest) {
  for (const char* text : {"42", "\"x\"", "null", "true"}) {
    EXPECT_EQ(parseErrorCode(text), codes::kInvalidRequest) << text;
  }
}

TEST(ParseBody, ToMessageOfANonObjectIsInvalid) {
  EXPECT_EQ(toMessage(json::parse("[1]")).kind, Kind::Invalid);
  EXPECT_EQ(toMessage(json::Value()).kind, Kind::Invalid);
}

// ---- serialisation -----------------------------------------------------------------

TEST(Serialise, ResponseRoundTrips) {
  json::ObjectPtr result = json::parseObject(R"({"tools":[{"name":"a"}],"n":1})");
  const std::string text = response(json::Value(7), json::Value(result));
  const Message m = single(text);
  EXPECT_TRUE(m.isResponse());
  EXPECT_EQ(idKey(m.id), "n:7");
  EXPECT_EQ(json::stringify(m.result), json::stringify(result));
}

TEST(Serialise, ResponseFromPreserialisedResult) {
  const std::string text = response(json::Value(std::string("abc")), std::string(R"({"x":[1,2]})"));
  EXPECT_EQ(text, R"({"jsonrpc":"2.0","id":"abc","result":{"x":[1,2]}})");
}

TEST(Serialise, ResponseEscapesHostileStringIds) {
  const std::string id = "a\"b\\c\n\x01";
  const std::string text = response(json::Value(id), std::string("{}"));
  const Message m = single(text);
  ASSERT_TRUE(m.isResponse());
  EXPECT_EQ(m.id.extract<std::string>(), id);
}

TEST(Serialise, ErrorResponseRoundTrips) {
  json::ObjectPtr data = json::parseObject(R"({"uri":"file:///x"})");
  const std::string text =
      errorResponse(json::Value(3), codes::kResourceNotFound, "Resource \"x\" not found", data);
  const Message m = single(text);
  ASSERT_TRUE(m.isResponse());
  ASSERT_NE(m.error, nullptr);
  EXPECT_EQ(json::getInt(m.error, "code"), codes::kResourceNotFound);
  EXPECT_EQ(json::getString(m.error, "message"), "Resource \"x\" not found");
  EXPECT_EQ(json::getString(json::getObject(m.error, "data"), "uri"), "file:///x");
}

TEST(Serialise, ErrorResponseWithoutDataHasNoDataMember) {
  const std::string text = errorResponse(json::Value(1), codes::kInvalidParams, "bad");
  json::ObjectPtr o = json::parseObject(text);
  EXPECT_FALSE(json::getObject(o, "error")->has("data"));
}

TEST(Serialise, ErrorResponseWithoutIdHasNullId) {
  const std::string text = errorResponse(json::Value(), codes::kParseError, "Parse error");
  json::ObjectPtr o = json::parseObject(text);
  ASSERT_TRUE(o->has("id"));
  EXPECT_TRUE(json::isNull(o->get("id")));
  EXPECT_TRUE(single(text).isResponse());
}

TEST(Serialise, ErrorResponseFromRpcError) {
  const RpcError error(codes::kInvalidParams, "Invalid params: x",
                       json::Value(std::string("detail")));
  json::ObjectPtr o = json::parseObject(errorResponse(json::Value(std::string("r")), error));
  auto e = json::getObject(o, "error");
  EXPECT_EQ(json::getInt(e, "code"), codes::kInvalidParams);
  EXPECT_EQ(json::getString(e, "message"), "Invalid params: x");
  EXPECT_EQ(json::getString(e, "data"), "detail");
}

TEST(Serialise, NotificationWithAndWithoutParams) {
  const Message bare = single(notification("notifications/tools/list_changed", nullptr));
  EXPECT_TRUE(bare.isNotification());
  EXPECT_EQ(bare.method, "notifications/tools/list_changed");
  EXPECT_FALSE(json::parseObject(notification("x", nullptr))->has("params"));

  json::ObjectPtr params = json::parseObject(R"({"progress":1.5,"progressToken":"t"})");
  const Message withParams = single(notification("notifications/progress", params));
  EXPECT_TRUE(withParams.isNotification());
  EXPECT_EQ(json::getString(withParams.params, "progressToken"), "t");
  EXPECT_EQ(json::getNumber(withParams.params, "progress"), 1.5);
}

TEST(Serialise, RequestRoundTrips) {
  json::ObjectPtr params = json::parseObject(R"({"message":"Proceed?"})");
  const Message m = single(request(json::Value(int64_t{12}), "elicitation/create", params));
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(m.method, "elicitation/create");
  EXPECT_EQ(idKey(m.id), "n:12");
  EXPECT_EQ(json::getString(m.params, "message"), "Proceed?");
}

TEST(Serialise, MethodNamesAreEscaped) {
  const Message m = single(notification("a\"b\n", nullptr));
  EXPECT_EQ(m.method, "a\"b\n");
}

// ---- idKey -------------------------------------------------------------------------

TEST(IdKey, DistinguishesStringFromNumber) {
  const std::string asString = idKey(json::Value(std::string("1")));
  const std::string asNumber = idKey(json::Value(1));
  EXPECT_NE(asString, asNumber);
  EXPECT_EQ(asString, "s:1");
  EXPECT_EQ(asNumber, "n:1");
}

TEST(IdKey, SameIdFromDifferentIntegerWidthsIsTheSameKey) {
  EXPECT_EQ(idKey(json::Value(int64_t{5})), idKey(json::Value(5)));
  EXPECT_EQ(idKey(json::parse("5")), idKey(json::Value(int64_t{5})));
}

TEST(IdKey, NonIdsMapToNull) {
  EXPECT_EQ(idKey(json::Value()), "null");
  EXPECT_EQ(idKey(json::Value(true)), "null");
  EXPECT_EQ(idKey(json::Value(1.5)), "null");
}

}  // namespace
}  // namespace portcullis::jsonrpc
