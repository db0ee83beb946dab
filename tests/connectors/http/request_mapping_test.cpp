#include "request_mapping.hpp"

#include <gtest/gtest.h>

namespace portcullis::http {
namespace {

Operation getPet() {
  Operation op;
  op.toolName = "pets_get_pet";
  op.method = "GET";
  op.pathTemplate = "/pets/{id}";
  op.inputSchema = Json::parse(R"({"type":"object","properties":{"id":{"type":"integer"},"verbose":{"type":"boolean"}}})");
  op.queryRest = true;
  return op;
}

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(percentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percentEncode("a b/c?d#e&f=g"), "a%20b%2Fc%3Fd%23e%26f%3Dg");
  EXPECT_EQ(percentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(percentEncode("%"), "%25");
}

TEST(PathVariables, ListsNamesInOrder) {
  EXPECT_EQ(pathVariables("/a/{x}/b/{y_1}"), (std::vector<std::string>{"x", "y_1"}));
  EXPECT_TRUE(pathVariables("/plain").empty());
}

TEST(PathVariables, RefusesMalformedTemplates) {
  EXPECT_THROW(pathVariables("/a/{x"), ConfigError);
  EXPECT_THROW(pathVariables("/a/x}"), ConfigError);
  EXPECT_THROW(pathVariables("/a/{}"), ConfigError);
  EXPECT_THROW(pathVariables("/a/{x y}"), ConfigError);
}

TEST(ExpandPath, EncodesEachValueAsOneSegment) {
  EXPECT_EQ(expandPath("/pets/{id}", Json{{"id", 7}}), "/pets/7");
  EXPECT_EQ(expandPath("/files/{name}/raw", Json{{"name", "a/b c"}}), "/files/a%2Fb%20c/raw");
  EXPECT_EQ(expandPath("/flags/{on}", Json{{"on", true}}), "/flags/true");
}

TEST(ExpandPath, RefusesMissingAndTraversingValues) {
  EXPECT_THROW(expandPath("/pets/{id}", Json::object()), sdk::ToolError);
  EXPECT_THROW(expandPath("/pets/{id}", Json{{"id", nullptr}}), sdk::ToolError);
  EXPECT_THROW(expandPath("/pets/{id}", Json{{"id", ".."}}), sdk::ToolError);
  EXPECT_THROW(expandPath("/pets/{id}", Json{{"id", ""}}), sdk::ToolError);
  EXPECT_THROW(expandPath("/pets/{id}", Json{{"id", Json::array({1})}}), sdk::ToolError);
}

TEST(CheckOperation, RefusesAnUnknownPathVariable) {
  Operation op = getPet();
  op.pathTemplate = "/pets/{petId}";
  try {
    checkOperation(op);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("\"petId\" is not a property"), std::string::npos) << e.what();
  }
}

TEST(CheckOperation, RefusesRelativeAndQueryPaths) {
  Operation op = getPet();
  op.pathTemplate = "pets";
  EXPECT_THROW(checkOperation(op), ConfigError);
  op.pathTemplate = "/pets?x=1";
  EXPECT_THROW(checkOperation(op), ConfigError);
}

TEST(BuildRequest, GetSendsTheRemainingArgumentsAsQuery) {
  const auto request = buildRequest(getPet(), Json{{"id", 3}, {"verbose", true}, {"tag", "a&b"}}, "/api");
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/api/pets/3?tag=a%26b&verbose=true");
  EXPECT_TRUE(request.body.empty());
  EXPECT_TRUE(request.contentType.empty());
}

TEST(BuildRequest, ArraysRepeatTheQueryParameterAndNullsAreLeftOut) {
  Operation op = getPet();
  op.pathTemplate = "/pets";
  const auto request = buildRequest(op, Json{{"tags", {"x", "y z"}}, {"gone", nullptr}}, "");
  EXPECT_EQ(request.target, "/pets?tags=x&tags=y%20z");
}

TEST(BuildRequest, PostSendsTheRestAsAJsonBody) {
  Operation op;
  op.toolName = "create";
  op.method = "POST";
  op.pathTemplate = "/owners/{owner}/pets";
  op.queryArguments = {"dry_run"};
  op.body = BodyMode::Rest;
  const auto request =
      buildRequest(op, Json{{"owner", "ann"}, {"dry_run", false}, {"name", "Rex"}, {"age", 3}}, "");
  EXPECT_EQ(request.target, "/owners/ann/pets?dry_run=false");
  EXPECT_EQ(Json::parse(request.body), (Json{{"name", "Rex"}, {"age", 3}}));
  EXPECT_EQ(request.contentType, "application/json");
}

TEST(BuildRequest, BodyArgumentIsSentAsItIs) {
  Operation op;
  op.toolName = "put";
  op.method = "PUT";
  op.pathTemplate = "/items/{id}";
  op.body = BodyMode::Argument;
  op.bodyArgument = "body";
  op.queryRest = true;
  const auto request = buildRequest(op, Json{{"id", 1}, {"body", {1, 2}}, {"q", "x"}}, "");
  EXPECT_EQ(request.target, "/items/1?q=x");
  EXPECT_EQ(request.body, "[1,2]");
}

TEST(BuildRequest, HeaderArgumentsBecomeHeadersAndCannotInjectLines) {
  Operation op = getPet();
  op.headerArguments = {{"verbose", "X-Verbose"}};
  const auto request = buildRequest(op, Json{{"id", 1}, {"verbose", true}}, "");
  ASSERT_EQ(request.headers.size(), 1u);
  EXPECT_EQ(request.headers[0], (std::pair<std::string, std::string>{"X-Verbose", "true"}));
  EXPECT_EQ(request.target, "/pets/1");

  Operation withString = getPet();
  withString.inputSchema["properties"]["trace"] = {{"type", "string"}};
  withString.headerArguments = {{"trace", "X-Trace"}};
  EXPECT_THROW(buildRequest(withString, Json{{"id", 1}, {"trace", "a\r\nX-Evil: 1"}}, ""), sdk::ToolError);
}

TEST(HeaderChecks, NamesAreTokensAndValuesHaveNoLineBreaks) {
  EXPECT_TRUE(isHeaderName("X-Api-Key"));
  EXPECT_FALSE(isHeaderName("X Api"));
  EXPECT_FALSE(isHeaderName(""));
  EXPECT_FALSE(isHeaderName("X:Y"));
  EXPECT_TRUE(isSafeHeaderValue("abc def"));
  EXPECT_FALSE(isSafeHeaderValue("a\nb"));
  EXPECT_FALSE(isSafeHeaderValue("a\rb"));
  EXPECT_FALSE(isSafeHeaderValue(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace portcullis::http
