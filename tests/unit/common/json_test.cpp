// Strict JSON parsing, type predicates, member access, deep copies and string
// quoting (core/common/json.hpp).

#include "core/common/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::common::json {
namespace {

std::string nested(char open, char close, int depth) {
  return std::string(static_cast<size_t>(depth), open) +
         std::string(static_cast<size_t>(depth), close);
}

// ---- parse: what strict parsing rejects ------------------------------------

TEST(JsonParse, RejectsRawNulByteInsideString) {
  const std::string text("{\"a\":\"x\0y\"}", 11);
  ASSERT_EQ(text.size(), 11u);
  EXPECT_THROW(parse(text), ParseError);
}

TEST(JsonParse, RejectsRawNulByteAfterDocument) {
  const std::string text("{}\0", 3);
  EXPECT_THROW(parse(text), ParseError);
}

TEST(JsonParse, RejectsDuplicateKeys) { EXPECT_THROW(parse(R"({"a":1,"a":2})"), ParseError); }

TEST(JsonParse, RejectsDuplicateKeysInNestedObject) {
  EXPECT_THROW(parse(R"({"outer":{"a":1,"b":2,"a":3}})"), ParseError);
}

TEST(JsonParse, RejectsDuplicateKeysInObjectInsideArray) {
  EXPECT_THROW(parse(R"([{"x":1},{"y":1,"y":1}])"), ParseError);
}

TEST(JsonParse, RejectsDuplicateKeysSpelledWithEscapes) {
  EXPECT_THROW(parse(R"({"a":1,"\u0061":2})"), ParseError);
}

TEST(JsonParse, AcceptsSameKeyInSiblingAndNestedObjects) {
  Value v;
  ASSERT_NO_THROW(v = parse(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":3},{"a":4}]})"));
  EXPECT_TRUE(isObject(v));
}

TEST(JsonParse, KeyOfOuterObjectAfterNestedObjectIsNotADuplicate) {
  EXPECT_NO_THROW(parse(R"({"a":{"b":1},"b":2})"));
}

TEST(JsonParse, RejectsTrailingGarbageAfterObject) {
  EXPECT_THROW(parse("{} x"), ParseError);
  EXPECT_THROW(parse("{}{}"), ParseError);
  EXPECT_THROW(parse("[1]]"), ParseError);
}

TEST(JsonParse, RejectsTrailingGarbageAfterTopLevelScalar) {
  EXPECT_THROW(parse("1 2"), ParseError);
  EXPECT_THROW(parse("\"x\" \"y\""), ParseError);
  EXPECT_THROW(parse("true false"), ParseError);
}

TEST(JsonParse, TopLevelScalarCannotSmuggleSeveralValues) {
  // A scalar is parsed inside a synthetic array; its brackets must not be
  // usable to close that array early or add elements.
  EXPECT_THROW(parse("1,2"), ParseError);
  EXPECT_THROW(parse("1],[2"), ParseError);
  EXPECT_THROW(parse("1]"), ParseError);
  EXPECT_THROW(parse("]"), ParseError);
}

TEST(JsonParse, RejectsComments) {
  EXPECT_THROW(parse("{\"a\":1 /* note */}"), ParseError);
  EXPECT_THROW(parse("// note\n{}"), ParseError);
  EXPECT_THROW(parse("/* note */ 1"), ParseError);
}

TEST(JsonParse, RejectsEmptyAndBlankText) {
  EXPECT_THROW(parse(""), ParseError);
  EXPECT_THROW(parse("   \n\t"), ParseError);
}

TEST(JsonParse, RejectsMalformedDocuments) {
  EXPECT_THROW(parse("{"), ParseError);
  EXPECT_THROW(parse("{\"a\":}"), ParseError);
  EXPECT_THROW(parse("{'a':1}"), ParseError);
  EXPECT_THROW(parse("[1,]"), ParseError);
  EXPECT_THROW(parse("nul"), ParseError);
  EXPECT_THROW(parse("\"unterminated"), ParseError);
}

TEST(JsonParse, RejectsNestingDeeperThanTheDefaultLimit) {
  EXPECT_THROW(parse(nested('[', ']', 200)), ParseError);
}

TEST(JsonParse, AcceptsModerateNesting) { EXPECT_NO_THROW(parse(nested('[', ']', 20))); }

TEST(JsonParse, AcceptsExactlyTheDefaultDepth) {
  EXPECT_NO_THROW(parse(nested('[', ']', 64)));
  std::string objects;
  for (int i = 0; i < 64; ++i) objects += "{\"a\":";
  objects += "1" + std::string(64, '}');
  EXPECT_NO_THROW(parse(objects));
}

TEST(JsonParse, RejectsOneLevelMoreThanTheDefaultDepth) {
  EXPECT_THROW(parse(nested('[', ']', 65)), ParseError);
  std::string objects;
  for (int i = 0; i < 65; ++i) objects += "{\"a\":";
  objects += "1" + std::string(65, '}');
  EXPECT_THROW(parse(objects), ParseError);
}

TEST(JsonParse, HonoursACustomDepthLimit) {
  ParseLimits limits;
  limits.maxDepth = 4;
  EXPECT_NO_THROW(parse(nested('[', ']', 2), limits));
  EXPECT_THROW(parse(nested('[', ']', 10), limits), ParseError);
}

TEST(JsonParse, HostileNestingDepthIsRejectedWithoutCrashing) {
  EXPECT_THROW(parse(std::string(100000, '[')), ParseError);
  EXPECT_THROW(parse(nested('[', ']', 100000)), ParseError);
}

// ---- parse: what it accepts -------------------------------------------------

TEST(JsonParse, AcceptsTopLevelString) {
  const Value v = parse("\"x\"");
  ASSERT_TRUE(isString(v));
  EXPECT_EQ(v.extract<std::string>(), "x");
}

TEST(JsonParse, AcceptsTopLevelInteger) {
  const Value v = parse("1");
  ASSERT_TRUE(isInteger(v));
  EXPECT_EQ(v.convert<int64_t>(), 1);
}

TEST(JsonParse, AcceptsTopLevelNull) { EXPECT_TRUE(isNull(parse("null"))); }

TEST(JsonParse, AcceptsTopLevelScalarWithSurroundingWhitespace) {
  EXPECT_TRUE(isBool(parse(" \n\ttrue\r\n ")));
  EXPECT_TRUE(isInteger(parse("  -7  ")));
}

TEST(JsonParse, AcceptsAnEscapedBackslashFollowedByU0000) {
  // The JSON text "\\u0000" is the six characters \u0000, not a NUL byte.
  Value v;
  ASSERT_NO_THROW(v = parse(R"J({"code":"printf(\"\\u0000\")"})J"));
  EXPECT_EQ(getString(asObject(v), "code"), std::optional<std::string>(R"J(printf("\u0000"))J"));
  ASSERT_NO_THROW(v = parse(R"("\\u0000")"));
  EXPECT_EQ(v.extract<std::string>(), R"(\u0000)");
}

TEST(JsonParse, ParseObjectRejectsNonObjects) {
  EXPECT_THROW(parseObject("[]"), ParseError);
  EXPECT_THROW(parseObject("1"), ParseError);
  EXPECT_THROW(parseObject("null"), ParseError);
  EXPECT_NE(parseObject("{}"), nullptr);
}

TEST(JsonParse, KeepsUnicodeEscapesAndUtf8) {
  ObjectPtr o = parseObject(R"({"e":"\u00e9","raw":"日本"})");
  EXPECT_EQ(getString(o, "e"), std::optional<std::string>("\xC3\xA9"));
  EXPECT_EQ(getString(o, "raw"), std::optional<std::string>("日本"));
}

// ---- type predicates ------------------------------------------------------------

TEST(JsonTypes, IntegerPredicateDoesNotAcceptNumericString) {
  const Value v = parse("\"1\"");
  EXPECT_FALSE(isInteger(v));
  EXPECT_FALSE(isNumber(v));
  EXPECT_TRUE(isString(v));
}

TEST(JsonTypes, IntegerPredicateDoesNotAcceptBooleans) {
  EXPECT_FALSE(isInteger(parse("true")));
  EXPECT_FALSE(isInteger(parse("false")));
  EXPECT_FALSE(isNumber(parse("true")));
  EXPECT_TRUE(isBool(parse("true")));
}

TEST(JsonTypes, IntegralNumbersAreIntegersAndNumbers) {
  for (const char* text : {"0", "-1", "42", "9223372036854775807"}) {
    const Value v = parse(text);
    EXPECT_TRUE(isInteger(v)) << text;
    EXPECT_TRUE(isNumber(v)) << text;
    EXPECT_FALSE(isString(v)) << text;
  }
}

TEST(JsonTypes, FractionalAndExponentNumbersAreNumbersButNotIntegers) {
  for (const char* text : {"1.5", "-0.25", "1e3", "2.0"}) {
    const Value v = parse(text);
    EXPECT_TRUE(isNumber(v)) << text;
    EXPECT_FALSE(isInteger(v)) << text;
  }
}

TEST(JsonTypes, NullIsOnlyNull) {
  const Value v = parse("null");
  EXPECT_TRUE(isNull(v));
  EXPECT_FALSE(isString(v));
  EXPECT_FALSE(isInteger(v));
  EXPECT_FALSE(isBool(v));
  EXPECT_FALSE(isObject(v));
  EXPECT_FALSE(isArray(v));
}

TEST(JsonTypes, ObjectsAndArraysAreDistinguished) {
  EXPECT_TRUE(isObject(parse("{}")));
  EXPECT_FALSE(isArray(parse("{}")));
  EXPECT_TRUE(isArray(parse("[]")));
  EXPECT_FALSE(isObject(parse("[]")));
  EXPECT_EQ(asObject(parse("[]")), nullptr);
  EXPECT_EQ(asArray(parse("{}")), nullptr);
  EXPECT_NE(asObject(parse("{}")), nullptr);
  EXPECT_NE(asArray(parse("[]")), nullptr);
}

// ---- member access ------------------------------------------------------------

class JsonMembers : public ::testing::Test {
 protected:
  ObjectPtr o = parseObject(
      R"({"s":"text","n":"1","i":7,"neg":-3,"d":1.5,"b":true,"z":null,"o":{"k":1},"a":[1,2]})");
};

TEST_F(JsonMembers, GetStringReturnsStrings) { EXPECT_EQ(getString(o, "s"), "text"); }

TEST_F(JsonMembers, GetStringIsEmptyForAbsentMember) {
  EXPECT_EQ(getString(o, "missing"), std::nullopt);
}

TEST_F(JsonMembers, GetStringIsEmptyForOtherTypes) {
  for (const char* key : {"i", "d", "b", "z", "o", "a"})
    EXPECT_EQ(getString(o, key), std::nullopt) << key;
}

TEST_F(JsonMembers, GetIntReturnsIntegers) {
  EXPECT_EQ(getInt(o, "i"), 7);
  EXPECT_EQ(getInt(o, "neg"), -3);
}

TEST_F(JsonMembers, GetIntIsEmptyForAbsentMember) { EXPECT_EQ(getInt(o, "missing"), std::nullopt); }

TEST_F(JsonMembers, GetIntDoesNotConvertStringsBooleansOrFractions) {
  EXPECT_EQ(getInt(o, "n"), std::nullopt);
  EXPECT_EQ(getInt(o, "b"), std::nullopt);
  EXPECT_EQ(getInt(o, "d"), std::nullopt);
  EXPECT_EQ(getInt(o, "z"), std::nullopt);
}

TEST_F(JsonMembers, GetNumberAcceptsIntegersAndFractions) {
  EXPECT_EQ(getNumber(o, "i"), 7.0);
  EXPECT_EQ(getNumber(o, "d"), 1.5);
  EXPECT_EQ(getNumber(o, "n"), std::nullopt);
  EXPECT_EQ(getNumber(o, "b"), std::nullopt);
}

TEST_F(JsonMembers, GetBoolOnlyAcceptsBooleans) {
  EXPECT_EQ(getBool(o, "b"), true);
  EXPECT_EQ(getBool(o, "i"), std::nullopt);
  EXPECT_EQ(getBool(o, "s"), std::nullopt);
}

TEST_F(JsonMembers, GetObjectAndGetArrayCheckTheType) {
  EXPECT_NE(getObject(o, "o"), nullptr);
  EXPECT_EQ(getObject(o, "a"), nullptr);
  EXPECT_EQ(getObject(o, "missing"), nullptr);
  EXPECT_NE(getArray(o, "a"), nullptr);
  EXPECT_EQ(getArray(o, "o"), nullptr);
  EXPECT_EQ(getArray(o, "z"), nullptr);
}

TEST(JsonMembersOfNull, AccessorsToleratesANullObject) {
  const ObjectPtr none;
  EXPECT_EQ(getString(none, "a"), std::nullopt);
  EXPECT_EQ(getInt(none, "a"), std::nullopt);
  EXPECT_EQ(getNumber(none, "a"), std::nullopt);
  EXPECT_EQ(getBool(none, "a"), std::nullopt);
  EXPECT_EQ(getObject(none, "a"), nullptr);
  EXPECT_EQ(getArray(none, "a"), nullptr);
}

TEST(JsonMembersRange, GetIntOfAnIntegerBeyondInt64DoesNotThrow) {
  // The accessors promise nullopt for what they cannot return, not an exception.
  ObjectPtr o = parseObject(R"({"big":18446744073709551615})");
  std::optional<int64_t> value;
  EXPECT_NO_THROW(value = getInt(o, "big"));
  EXPECT_EQ(value, std::nullopt);
}

// ---- stringify and clone ------------------------------------------------------

TEST(JsonStringify, IsCompactAndKeepsKeyOrder) {
  const std::string text = R"({"z":1,"a":[true,null,"x"],"m":{"k":1.5}})";
  EXPECT_EQ(stringify(parseObject(text)), text);
}

TEST(JsonStringify, EscapesControlCharactersInStrings) {
  ObjectPtr o = makeObject();
  o->set("s", std::string("a\x01\n\"b"));
  const std::string text = stringify(o);
  EXPECT_EQ(text.find('\x01'), std::string::npos);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(getString(parseObject(text), "s"), std::string("a\x01\n\"b"));
}

TEST(JsonClone, IsDeepForNestedObjectsAndArrays) {
  ObjectPtr original = parseObject(R"({"a":{"b":[1,{"c":2}]}})");
  ObjectPtr copy = clone(original);
  ASSERT_NE(copy, nullptr);
  ASSERT_NE(copy.get(), original.get());
  EXPECT_EQ(stringify(copy), stringify(original));

  getObject(copy, "a")->set("new", 1);
  asObject(getArray(getObject(copy, "a"), "b")->get(1))->set("c", 3);
  getArray(getObject(copy, "a"), "b")->add(99);

  EXPECT_EQ(stringify(original), R"({"a":{"b":[1,{"c":2}]}})");
}

TEST(JsonClone, KeepsKeyOrder) {
  ObjectPtr original = parseObject(R"({"z":1,"y":2,"a":3})");
  EXPECT_EQ(stringify(clone(original)), R"({"z":1,"y":2,"a":3})");
}

TEST(JsonClone, OfNullIsNull) { EXPECT_EQ(clone(ObjectPtr()), nullptr); }

TEST(JsonClone, CloneValueCopiesArraysDeeply) {
  Value original = parse(R"([{"k":1}])");
  Value copy = cloneValue(original);
  asObject(asArray(copy)->get(0))->set("k", 2);
  EXPECT_EQ(stringify(original), R"([{"k":1}])");
  EXPECT_EQ(stringify(copy), R"([{"k":2}])");
}

// ---- appendQuoted ----------------------------------------------------------------

TEST(JsonAppendQuoted, AppendsToExistingText) {
  std::string out = "prefix:";
  appendQuoted(out, "x");
  EXPECT_EQ(out, "prefix:\"x\"");
}

TEST(JsonAppendQuoted, EscapesQuoteAndBackslash) {
  std::string out;
  appendQuoted(out, "a\"b\\c");
  EXPECT_EQ(out, R"("a\"b\\c")");
}

TEST(JsonAppendQuoted, EscapesNamedControlCharacters) {
  std::string out;
  appendQuoted(out, "\n\r\t\b\f");
  EXPECT_EQ(out, R"("\n\r\t\b\f")");
}

TEST(JsonAppendQuoted, EscapesOtherControlCharactersAsUnicode) {
  std::string out;
  appendQuoted(out, std::string("\x01\x1f\0", 3));
  EXPECT_EQ(out, R"("\u0001\u001f\u0000")");
}

TEST(JsonAppendQuoted, LeavesUtf8AndPrintableAsciiAlone) {
  std::string out;
  appendQuoted(out, "é/日本 ~");
  EXPECT_EQ(out, "\"é/日本 ~\"");
}

TEST(JsonAppendQuoted, EveryControlCharacterRoundTripsThroughTheParser) {
  std::string all;
  for (int c = 1; c < 0x20; ++c) all += static_cast<char>(c);
  all += "\"\\end";
  std::string quoted;
  appendQuoted(quoted, all);
  for (char c : quoted)
    EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte in output";
  const Value back = parse(quoted);
  ASSERT_TRUE(isString(back));
  EXPECT_EQ(back.extract<std::string>(), all);
}

}  // namespace
}  // namespace portcullis::common::json
