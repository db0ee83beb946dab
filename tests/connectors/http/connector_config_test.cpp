#include "connector_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace portcullis::http {
namespace {

TEST(ParseDuration, ReadsEveryUnit) {
  EXPECT_EQ(parseDuration("250ms", "k").count(), 250);
  EXPECT_EQ(parseDuration("5s", "k").count(), 5'000);
  EXPECT_EQ(parseDuration("2m", "k").count(), 120'000);
  EXPECT_EQ(parseDuration("1h", "k").count(), 3'600'000);
  EXPECT_EQ(parseDuration(1500, "k").count(), 1'500);
}

TEST(ParseDuration, RefusesNonsense) {
  EXPECT_THROW(parseDuration("5 parsecs", "k"), ConfigError);
  EXPECT_THROW(parseDuration("s", "k"), ConfigError);
  EXPECT_THROW(parseDuration("0s", "k"), ConfigError);
  EXPECT_THROW(parseDuration(true, "k"), ConfigError);
}

TEST(ResolveHeaders, ReadsPlainEnvAndFileValues) {
  ::setenv("PORTCULLIS_HTTP_TEST_KEY", "from-env", 1);
  const auto file = std::filesystem::temp_directory_path() / "portcullis-http-header-test";
  std::ofstream(file) << "from-file\n";
  const auto headers = resolveHeaders(Json{{"A", "plain"},
                                           {"B", {{"env", "PORTCULLIS_HTTP_TEST_KEY"}}},
                                           {"C", {{"file", file.string()}}}});
  std::filesystem::remove(file);
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].second, "plain");
  EXPECT_EQ(headers[1].second, "from-env");
  EXPECT_EQ(headers[2].second, "from-file");
}

TEST(ResolveHeaders, RefusesMissingSourcesInjectionAndFramingHeaders) {
  ::unsetenv("PORTCULLIS_HTTP_TEST_MISSING");
  EXPECT_THROW(resolveHeaders(Json{{"A", {{"env", "PORTCULLIS_HTTP_TEST_MISSING"}}}}), ConfigError);
  EXPECT_THROW(resolveHeaders(Json{{"A", {{"file", "/nonexistent/secret"}}}}), ConfigError);
  EXPECT_THROW(resolveHeaders(Json{{"A", "x\r\nEvil: 1"}}), ConfigError);
  EXPECT_THROW(resolveHeaders(Json{{"Bad Name", "x"}}), ConfigError);
  EXPECT_THROW(resolveHeaders(Json{{"Content-Length", "1"}}), ConfigError);
  EXPECT_THROW(resolveHeaders(Json{{"host", "evil"}}), ConfigError);
}

TEST(OperationFromConfig, GetDefaultsToQueryForTheRestAndNoBody) {
  const Operation op = operationFromConfig(Json::parse(R"({
    "name": "get_pet", "method": "get", "path": "/pets/{id}",
    "input_schema": {"type": "object", "properties": {"id": {"type": "integer"}}}})"),
                                           "pets_");
  EXPECT_EQ(op.toolName, "pets_get_pet");
  EXPECT_EQ(op.method, "GET");
  EXPECT_TRUE(op.queryRest);
  EXPECT_EQ(op.body, BodyMode::None);
  EXPECT_EQ(op.response, ResponseMode::Auto);
}

TEST(OperationFromConfig, PostDefaultsToARestBody) {
  const Operation op = operationFromConfig(Json::parse(R"({
    "name": "add", "method": "POST", "path": "/pets", "query": ["dry_run"], "response": "text",
    "input_schema": {"type": "object", "properties": {"dry_run": {"type": "boolean"}, "name": {"type": "string"}}}})"),
                                           "");
  EXPECT_FALSE(op.queryRest);
  EXPECT_EQ(op.queryArguments, std::vector<std::string>{"dry_run"});
  EXPECT_EQ(op.body, BodyMode::Rest);
  EXPECT_EQ(op.response, ResponseMode::Text);
}

TEST(OperationFromConfig, RefusesUnknownVariablesAndArguments) {
  EXPECT_THROW(operationFromConfig(Json::parse(R"({"name": "x", "path": "/pets/{id}"})"), ""), ConfigError);
  EXPECT_THROW(operationFromConfig(Json::parse(R"({"name": "x", "path": "/p", "query": ["q"]})"), ""), ConfigError);
  EXPECT_THROW(operationFromConfig(Json::parse(R"({"name": "x", "method": "POST", "path": "/p", "body": "payload"})"), ""),
               ConfigError);
  EXPECT_THROW(operationFromConfig(Json::parse(R"({"name": "x", "path": "/p", "input_schema": {"type": "array"}})"), ""),
               ConfigError);
}

TEST(OperationFromConfig, RefusesToolNamesOverSixtyFourCharacters) {
  EXPECT_THROW(operationFromConfig(Json{{"name", std::string(60, 'a')}, {"path", "/"}}, "prefix_"), ConfigError);
}

}  // namespace
}  // namespace portcullis::http
