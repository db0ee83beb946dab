#include "response_mapping.hpp"

#include <gtest/gtest.h>

namespace portcullis::http {
namespace {

IncomingResponse reply(int status, std::string contentType, std::string body) {
  return IncomingResponse{status, status == 200 ? "OK" : "Not Found", std::move(contentType), std::move(body)};
}

TEST(JsonMediaType, RecognisesJsonAndSuffixes) {
  EXPECT_TRUE(isJsonMediaType("application/json"));
  EXPECT_TRUE(isJsonMediaType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(isJsonMediaType("application/problem+json"));
  EXPECT_FALSE(isJsonMediaType("text/plain"));
  EXPECT_FALSE(isJsonMediaType("application/jsonx"));
  EXPECT_FALSE(isJsonMediaType(""));
}

TEST(Utf8, AcceptsValidAndRefusesBrokenSequences) {
  EXPECT_TRUE(isUtf8("plain"));
  EXPECT_TRUE(isUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(isUtf8("\xC3"));
  EXPECT_FALSE(isUtf8("\xFF\xFE"));
  EXPECT_FALSE(isUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isUtf8("\xED\xA0\x80"));      // a surrogate
}

TEST(MapResponse, JsonObjectBecomesStructuredContentWithATextCopy) {
  const Json result = mapResponse(reply(200, "application/json", R"({"id":1,"name":"Rex"})"), ResponseMode::Auto);
  EXPECT_FALSE(result.contains("isError"));
  EXPECT_EQ(result["structuredContent"], (Json{{"id", 1}, {"name", "Rex"}}));
  EXPECT_EQ(result["content"][0]["text"], R"({"id":1,"name":"Rex"})");
}

TEST(MapResponse, ArraysAndScalarsAreWrappedInResult) {
  EXPECT_EQ(mapResponse(reply(200, "application/json", "[1,2]"), ResponseMode::Structured)["structuredContent"],
            (Json{{"result", {1, 2}}}));
  EXPECT_EQ(mapResponse(reply(200, "application/json", "42"), ResponseMode::Auto)["structuredContent"],
            (Json{{"result", 42}}));
}

TEST(MapResponse, TextModeAndNonJsonRepliesGiveTextOnly) {
  EXPECT_FALSE(mapResponse(reply(200, "application/json", "{}"), ResponseMode::Text).contains("structuredContent"));
  EXPECT_FALSE(mapResponse(reply(200, "text/plain", "{}"), ResponseMode::Auto).contains("structuredContent"));
}

TEST(MapResponse, GarbageLabelledJsonIsReturnedAsText) {
  const Json result = mapResponse(reply(200, "application/json", "{not json"), ResponseMode::Auto);
  EXPECT_FALSE(result.contains("structuredContent"));
  EXPECT_FALSE(result.contains("isError"));
  EXPECT_EQ(result["content"][0]["text"], "{not json");
}

TEST(MapResponse, BinaryBodiesAreDescribedNotSent) {
  const Json result = mapResponse(reply(200, "image/png", std::string("\x89PNG\xFF\x00", 6)), ResponseMode::Auto);
  EXPECT_EQ(result["content"][0]["text"], "(6 bytes of binary content, image/png)");
}

TEST(MapResponse, EmptyReplyNamesTheStatus) {
  IncomingResponse noContent{204, "No Content", "", ""};
  EXPECT_EQ(mapResponse(noContent, ResponseMode::Auto)["content"][0]["text"], "HTTP 204 No Content (no content)");
}

TEST(MapResponse, FailureStatusIsAnErrorNamingStatusAndBody) {
  const Json result = mapResponse(reply(404, "application/json", R"({"error":"no such pet"})"), ResponseMode::Auto);
  EXPECT_EQ(result["isError"], true);
  EXPECT_EQ(result["content"][0]["text"], R"(HTTP 404 Not Found: {"error":"no such pet"})");
  EXPECT_FALSE(result.contains("structuredContent"));
}

TEST(MapResponse, LongErrorBodiesAreCut) {
  const Json result = mapResponse(IncomingResponse{500, "Internal Server Error", "text/plain", std::string(10'000, 'x')},
                                  ResponseMode::Auto);
  const std::string text = result["content"][0]["text"];
  EXPECT_LT(text.size(), kErrorBodyQuote + 100);
  EXPECT_NE(text.find("(10000 bytes in all)"), std::string::npos);
  EXPECT_EQ(text.rfind("HTTP 500 Internal Server Error: ", 0), 0u);
}

}  // namespace
}  // namespace portcullis::http
