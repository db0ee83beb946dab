// The JSON Schema subset used for configuration and tool arguments
// (core/common/json_schema.hpp).

#include "core/common/json_schema.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace portcullis::common {
namespace {

std::vector<SchemaIssue> check(const std::string& schema, const std::string& instance,
                               const std::string& rootPath = {}) {
  return JsonSchema::fromText(schema).validate(json::parse(instance), rootPath);
}

bool valid(const std::string& schema, const std::string& instance) {
  return check(schema, instance).empty();
}

std::string describe(const std::vector<SchemaIssue>& issues) {
  std::string out;
  for (const auto& i : issues) out += "[" + i.path + "] " + i.message + "\n";
  return out;
}

// ---- construction ------------------------------------------------------------------

TEST(JsonSchemaConstruction, AcceptsObjectAndBooleanSchemas) {
  EXPECT_NO_THROW(JsonSchema(json::parse("{}")));
  EXPECT_NO_THROW(JsonSchema(json::parse("true")));
  EXPECT_NO_THROW(JsonSchema(json::parse("false")));
}

TEST(JsonSchemaConstruction, RejectsSchemasThatAreNeitherObjectNorBoolean) {
  EXPECT_THROW(JsonSchema(json::parse("1")), std::invalid_argument);
  EXPECT_THROW(JsonSchema(json::parse("\"object\"")), std::invalid_argument);
  EXPECT_THROW(JsonSchema(json::parse("[]")), std::invalid_argument);
  EXPECT_THROW(JsonSchema(json::parse("null")), std::invalid_argument);
  EXPECT_THROW(JsonSchema(json::Value()), std::invalid_argument);
}

TEST(JsonSchemaConstruction, FromTextRejectsInvalidJson) {
  EXPECT_THROW(JsonSchema::fromText("{\"type\":"), json::ParseError);
}

// ---- boolean schemas ----------------------------------------------------------------

TEST(JsonSchemaBoolean, TrueAcceptsEverything) {
  for (const char* instance : {"1", "\"x\"", "null", "{}", "[1]"})
    EXPECT_TRUE(valid("true", instance));
}

TEST(JsonSchemaBoolean, FalseRejectsEverything) {
  for (const char* instance : {"1", "\"x\"", "null", "{}", "[1]"})
    EXPECT_FALSE(valid("false", instance));
}

TEST(JsonSchemaBoolean, FalseAsPropertySchemaForbidsThatProperty) {
  const auto issues = check(R"({"properties":{"x":false}})", R"({"x":1,"y":2})");
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].path, "x");
}

// ---- type ---------------------------------------------------------------------------

TEST(JsonSchemaType, ReportsExpectedAndActualType) {
  const auto issues = check(R"({"type":"integer"})", "\"1\"");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "");
  EXPECT_NE(issues[0].message.find("integer"), std::string::npos);
  EXPECT_NE(issues[0].message.find("string"), std::string::npos);
}

TEST(JsonSchemaType, IntegerAcceptsIntegralNumbersOnly) {
  EXPECT_TRUE(valid(R"({"type":"integer"})", "3"));
  EXPECT_TRUE(valid(R"({"type":"integer"})", "-3"));
  EXPECT_TRUE(valid(R"({"type":"integer"})", "2.0"));
  EXPECT_FALSE(valid(R"({"type":"integer"})", "2.5"));
  EXPECT_FALSE(valid(R"({"type":"integer"})", "true"));
  EXPECT_FALSE(valid(R"({"type":"integer"})", "\"2\""));
  EXPECT_FALSE(valid(R"({"type":"integer"})", "null"));
}

TEST(JsonSchemaType, NumberAcceptsIntegersAndFractionsButNotStringsOrBooleans) {
  EXPECT_TRUE(valid(R"({"type":"number"})", "3"));
  EXPECT_TRUE(valid(R"({"type":"number"})", "3.25"));
  EXPECT_FALSE(valid(R"({"type":"number"})", "\"3\""));
  EXPECT_FALSE(valid(R"({"type":"number"})", "false"));
}

TEST(JsonSchemaType, DistinguishesEveryJsonType) {
  EXPECT_TRUE(valid(R"({"type":"string"})", "\"\""));
  EXPECT_TRUE(valid(R"({"type":"boolean"})", "false"));
  EXPECT_TRUE(valid(R"({"type":"null"})", "null"));
  EXPECT_TRUE(valid(R"({"type":"object"})", "{}"));
  EXPECT_TRUE(valid(R"({"type":"array"})", "[]"));
  EXPECT_FALSE(valid(R"({"type":"object"})", "[]"));
  EXPECT_FALSE(valid(R"({"type":"array"})", "{}"));
  EXPECT_FALSE(valid(R"({"type":"boolean"})", "0"));
  EXPECT_FALSE(valid(R"({"type":"null"})", "0"));
}

TEST(JsonSchemaType, AcceptsAListOfTypes) {
  const std::string schema = R"({"type":["string","null"]})";
  EXPECT_TRUE(valid(schema, "\"x\""));
  EXPECT_TRUE(valid(schema, "null"));
  EXPECT_FALSE(valid(schema, "1"));
}

// ---- enum and const -----------------------------------------------------------------

TEST(JsonSchemaEnum, AcceptsListedValuesOnly) {
  const std::string schema = R"({"enum":["a",1,null]})";
  EXPECT_TRUE(valid(schema, "\"a\""));
  EXPECT_TRUE(valid(schema, "1"));
  EXPECT_TRUE(valid(schema, "null"));
  EXPECT_FALSE(valid(schema, "\"b\""));
}

TEST(JsonSchemaEnum, DoesNotConfuseStringsNumbersAndBooleans) {
  const std::string schema = R"({"enum":[1]})";
  EXPECT_FALSE(valid(schema, "\"1\""));
  EXPECT_FALSE(valid(schema, "true"));
  EXPECT_TRUE(valid(schema, "1.0"));
}

TEST(JsonSchemaConst, ComparesScalarsByValue) {
  EXPECT_TRUE(valid(R"({"const":"x"})", "\"x\""));
  EXPECT_FALSE(valid(R"({"const":"x"})", "\"y\""));
  EXPECT_FALSE(valid(R"({"const":false})", "0"));
}

TEST(JsonSchemaConst, ObjectEqualityIgnoresMemberOrder) {
  // JSON Schema compares objects as unordered sets of members.
  EXPECT_TRUE(valid(R"({"const":{"a":1,"b":2}})", R"({"b":2,"a":1})"));
}

TEST(JsonSchemaConst, NumbersNestedInArraysCompareByValue) {
  // 1 and 1.0 are the same JSON Schema number, also inside arrays.
  EXPECT_TRUE(valid(R"({"const":[1,2]})", "[1.0,2]"));
}

// ---- objects ---------------------------------------------------------------------

TEST(JsonSchemaObject, RequiredReportsTheMissingMemberPath) {
  const auto issues = check(R"({"type":"object","required":["name","kind"]})", R"({"kind":"x"})");
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].path, "name");
  EXPECT_EQ(issues[0].message, "is required");
}

TEST(JsonSchemaObject, AdditionalPropertiesFalseReportsUnknownKeyWithItsPath) {
  const std::string schema = R"({
    "type":"object",
    "properties":{"server":{"type":"object","additionalProperties":false,
                            "properties":{"listen":{"type":"string"}}}}})";
  const auto issues = check(schema, R"({"server":{"listen":"a:1","lisen":"b"}})");
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].path, "server.lisen");
  EXPECT_EQ(issues[0].message, "unknown key");
}

TEST(JsonSchemaObject, AdditionalPropertiesSchemaAppliesToUnlistedMembers) {
  const std::string schema =
      R"({"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}})";
  EXPECT_TRUE(valid(schema, R"({"a":"x","b":1})"));
  const auto issues = check(schema, R"({"a":"x","b":"y"})");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "b");
}

TEST(JsonSchemaObject, MinAndMaxProperties) {
  EXPECT_FALSE(valid(R"({"minProperties":1})", "{}"));
  EXPECT_TRUE(valid(R"({"maxProperties":1})", R"({"a":1})"));
  EXPECT_FALSE(valid(R"({"maxProperties":1})", R"({"a":1,"b":2})"));
}

TEST(JsonSchemaObject, RootPathPrefixesEveryIssue) {
  const auto issues = check(R"({"additionalProperties":false,"required":["k"]})", R"({"x":1})",
                            "plugins[0].config");
  ASSERT_EQ(issues.size(), 2u) << describe(issues);
  EXPECT_EQ(issues[0].path, "plugins[0].config.k");
  EXPECT_EQ(issues[1].path, "plugins[0].config.x");
}

TEST(JsonSchemaPaths, NestedObjectsAndArraysGiveDottedIndexedPaths) {
  const std::string schema = R"({
    "properties":{"a":{"properties":{"b":{"type":"array",
      "items":{"properties":{"c":{"type":"integer"}}}}}}}})";
  const auto issues = check(schema, R"({"a":{"b":[{"c":1},{"c":"x"}]}})");
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].path, "a.b[1].c");
}

// ---- arrays ------------------------------------------------------------------------

TEST(JsonSchemaArray, ItemsAreCheckedWithIndexedPaths) {
  const auto issues = check(R"({"items":{"type":"string"}})", R"(["a",2,"c",4])");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].path, "[1]");
  EXPECT_EQ(issues[1].path, "[3]");
}

TEST(JsonSchemaArray, MinAndMaxItems) {
  EXPECT_FALSE(valid(R"({"minItems":2})", "[1]"));
  EXPECT_TRUE(valid(R"({"minItems":2,"maxItems":2})", "[1,2]"));
  EXPECT_FALSE(valid(R"({"maxItems":2})", "[1,2,3]"));
}

TEST(JsonSchemaArray, UniqueItems) {
  EXPECT_TRUE(valid(R"({"uniqueItems":true})", R"([1,"1",true])"));
  EXPECT_FALSE(valid(R"({"uniqueItems":true})", "[1,2,1]"));
  EXPECT_TRUE(valid(R"({"uniqueItems":false})", "[1,1]"));
}

// ---- numbers ----------------------------------------------------------------------

TEST(JsonSchemaNumber, MinimumIsInclusive) {
  EXPECT_TRUE(valid(R"({"minimum":1})", "1"));
  EXPECT_FALSE(valid(R"({"minimum":1})", "0.999"));
}

TEST(JsonSchemaNumber, MaximumIsInclusive) {
  EXPECT_TRUE(valid(R"({"maximum":10})", "10"));
  EXPECT_FALSE(valid(R"({"maximum":10})", "10.5"));
}

TEST(JsonSchemaNumber, ExclusiveMinimumExcludesTheBound) {
  EXPECT_FALSE(valid(R"({"exclusiveMinimum":1})", "1"));
  EXPECT_TRUE(valid(R"({"exclusiveMinimum":1})", "1.001"));
}

TEST(JsonSchemaNumber, ExclusiveMaximumExcludesTheBound) {
  EXPECT_FALSE(valid(R"({"exclusiveMaximum":5})", "5"));
  EXPECT_TRUE(valid(R"({"exclusiveMaximum":5})", "4"));
}

TEST(JsonSchemaNumber, BoundsDoNotApplyToOtherTypes) {
  EXPECT_TRUE(valid(R"({"minimum":5})", "\"1\""));
}

// ---- strings ----------------------------------------------------------------------

TEST(JsonSchemaString, LengthsCountCodePointsNotBytes) {
  EXPECT_TRUE(valid(R"({"maxLength":1})", "\"é\""));
  EXPECT_TRUE(valid(R"({"maxLength":1})", "\"😀\""));
  EXPECT_TRUE(valid(R"({"minLength":2,"maxLength":2})", "\"日本\""));
  EXPECT_FALSE(valid(R"({"minLength":3})", "\"日本\""));
  EXPECT_FALSE(valid(R"({"maxLength":1})", "\"ab\""));
}

TEST(JsonSchemaString, PatternSearchesTheString) {
  EXPECT_TRUE(valid(R"({"pattern":"^[a-z]+$"})", "\"abc\""));
  EXPECT_FALSE(valid(R"({"pattern":"^[a-z]+$"})", "\"abC\""));
  EXPECT_TRUE(valid(R"({"pattern":"b"})", "\"abc\""));
}

TEST(JsonSchemaString, InvalidPatternIsAnIssueNotACrash) {
  std::vector<SchemaIssue> issues;
  ASSERT_NO_THROW(issues = check(R"({"properties":{"p":{"pattern":"([a-z"}}})", R"({"p":"abc"})"));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "p");
  EXPECT_NE(issues[0].message.find("not a valid regular expression"), std::string::npos);
}

TEST(JsonSchemaString, DurationFormat) {
  const std::string schema = R"({"type":"string","format":"duration"})";
  for (const char* ok : {"\"250ms\"", "\"15s\"", "\"10m\"", "\"1h\"", "\"30d\"", "\"5\""}) {
    EXPECT_TRUE(valid(schema, ok)) << ok;
  }
  for (const char* bad : {"\"\"", "\"15 parsecs\"", "\"-1s\"", "\"1.5s\"", "\"s\""}) {
    EXPECT_FALSE(valid(schema, bad)) << bad;
  }
}

TEST(JsonSchemaString, UnknownFormatsAreAnnotations) {
  EXPECT_TRUE(valid(R"({"format":"email"})", "\"not an email\""));
}

// ---- combinators ------------------------------------------------------------------

TEST(JsonSchemaCombinators, AnyOfNeedsOneMatch) {
  const std::string schema = R"({"anyOf":[{"type":"string"},{"type":"integer"}]})";
  EXPECT_TRUE(valid(schema, "\"x\""));
  EXPECT_TRUE(valid(schema, "3"));
  EXPECT_FALSE(valid(schema, "true"));
}

TEST(JsonSchemaCombinators, OneOfNeedsExactlyOneMatch) {
  const std::string schema = R"({"oneOf":[{"type":"integer"},{"type":"number"}]})";
  EXPECT_FALSE(valid(schema, "1"));      // both
  EXPECT_TRUE(valid(schema, "1.5"));     // only number
  EXPECT_FALSE(valid(schema, "\"x\""));  // neither
}

TEST(JsonSchemaCombinators, AllOfNeedsEveryMatch) {
  const std::string schema = R"({"allOf":[{"minimum":1},{"maximum":5}]})";
  EXPECT_TRUE(valid(schema, "3"));
  EXPECT_FALSE(valid(schema, "7"));
  EXPECT_FALSE(valid(schema, "0"));
}

TEST(JsonSchemaCombinators, NotInvertsTheSubschema) {
  const std::string schema = R"({"not":{"type":"string"}})";
  EXPECT_FALSE(valid(schema, "\"x\""));
  EXPECT_TRUE(valid(schema, "1"));
}

// ---- $ref -------------------------------------------------------------------------

TEST(JsonSchemaRef, ResolvesLocalDefinitions) {
  const std::string schema = R"({
    "$defs":{"count":{"type":"integer","minimum":0}},
    "properties":{"n":{"$ref":"#/$defs/count"}}})";
  EXPECT_TRUE(valid(schema, R"({"n":3})"));
  const auto issues = check(schema, R"({"n":-1})");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "n");
}

TEST(JsonSchemaRef, UnresolvableReferenceIsAnIssue) {
  std::vector<SchemaIssue> issues;
  ASSERT_NO_THROW(issues =
                      check(R"({"properties":{"n":{"$ref":"#/$defs/missing"}}})", R"({"n":1})"));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "n");
  EXPECT_NE(issues[0].message.find("cannot be resolved"), std::string::npos);
}

TEST(JsonSchemaRef, RemoteReferencesAreNotFetched) {
  EXPECT_FALSE(valid(R"({"$ref":"https://example.com/schema.json"})", "1"));
}

TEST(JsonSchemaRef, RecursiveRootReferenceFollowsTheInstance) {
  const std::string schema = R"({
    "type":"object",
    "properties":{"v":{"type":"integer"},"child":{"$ref":"#"}}})";
  EXPECT_TRUE(valid(schema, R"({"v":1,"child":{"v":2,"child":{}}})"));
  const auto issues = check(schema, R"({"child":{"child":{"v":"x"}}})");
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].path, "child.child.v");
}

TEST(JsonSchemaRef, SelfReferenceLoopEndsWithAnIssue) {
  std::vector<SchemaIssue> issues;
  ASSERT_NO_THROW(issues =
                      check(R"({"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"})", "1"));
  EXPECT_FALSE(issues.empty());
}

// ---- limits -----------------------------------------------------------------------

TEST(JsonSchemaLimits, MaxIssuesCapsTheReport) {
  const JsonSchema schema = JsonSchema::fromText(R"({"additionalProperties":false})");
  const json::Value instance = json::parse(R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6})");
  EXPECT_EQ(schema.validate(instance, "", 3).size(), 3u);
  EXPECT_EQ(schema.validate(instance, "", 100).size(), 6u);
}

TEST(JsonSchemaLimits, DefaultCapIsThirtyTwo) {
  const JsonSchema schema = JsonSchema::fromText(R"({"items":{"type":"string"}})");
  std::string instance = "[";
  for (int i = 0; i < 50; ++i) instance += (i ? ",1" : "1");
  instance += "]";
  EXPECT_EQ(schema.validate(json::parse(instance)).size(), 32u);
}

TEST(JsonSchemaLimits, DeeplyNestedInstanceDoesNotCrash) {
  const JsonSchema schema = JsonSchema::fromText(R"({"items":{"$ref":"#"}})");
  std::string deep = std::string(60, '[') + std::string(60, ']');
  EXPECT_NO_THROW(schema.validate(json::parse(deep)));
}

// A long string from a client (a tool argument) must not exhaust the stack
// of the thread that validates it. Run in a child process, so that a crash is
// reported as this test's failure.
TEST(JsonSchemaDeathTest, PatternOnAVeryLongStringDoesNotExhaustTheStack) {
  const JsonSchema schema = JsonSchema::fromText(R"({"type":"string","pattern":"^[a-z]+$"})");
  const json::Value instance(std::string(1'000'000, 'a'));
  EXPECT_EXIT(
      {
        const auto issues = schema.validate(instance);
        std::exit(issues.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace portcullis::common
