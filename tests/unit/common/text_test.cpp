// String helpers, durations, base64 and header checks (core/common/text.hpp).

#include "core/common/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::common {
namespace {

using std::chrono::milliseconds;

// ---- parseDuration -------------------------------------------------------------

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(parseDuration("15s"), milliseconds(15'000));
  EXPECT_EQ(parseDuration("10m"), milliseconds(600'000));
  EXPECT_EQ(parseDuration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parseDuration("30d"), milliseconds(2'592'000'000LL));
}

TEST(ParseDuration, BareNumberMeansSeconds) {
  EXPECT_EQ(parseDuration("42"), milliseconds(42'000));
  EXPECT_EQ(parseDuration("0"), milliseconds(0));
}

TEST(ParseDuration, IgnoresSurroundingWhitespace) {
  EXPECT_EQ(parseDuration("  5s\t"), milliseconds(5'000));
}

TEST(ParseDuration, RejectsNegativeValues) {
  EXPECT_EQ(parseDuration("-5s"), std::nullopt);
  EXPECT_EQ(parseDuration("-1"), std::nullopt);
}

TEST(ParseDuration, RejectsValuesThatOverflow) {
  EXPECT_EQ(parseDuration("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parseDuration("99999999999999999999ms"), std::nullopt);
  EXPECT_EQ(parseDuration("106751991167301d"), std::nullopt);
  EXPECT_EQ(parseDuration("9223372036854776s"), std::nullopt);
}

TEST(ParseDuration, AcceptsTheLargestRepresentableValue) {
  EXPECT_EQ(parseDuration("9223372036854775807ms"), milliseconds(INT64_MAX));
}

TEST(ParseDuration, RejectsJunk) {
  for (const char* text : {"", "   ", "s", "ms", "5x", "5 s", "1.5s", "5ms5", "0x10s", "five",
                           "5sec", "+5s", "5s5s", "5 ms"}) {
    EXPECT_EQ(parseDuration(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(FormatDuration, PicksTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(milliseconds(1'500)), "1500ms");
  EXPECT_EQ(formatDuration(milliseconds(15'000)), "15s");
  EXPECT_EQ(formatDuration(milliseconds(120'000)), "2m");
  EXPECT_EQ(formatDuration(milliseconds(7'200'000)), "2h");
  EXPECT_EQ(formatDuration(milliseconds(86'400'000)), "1d");
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
}

TEST(FormatDuration, RoundTripsThroughParseDuration) {
  for (int64_t ms : {0LL, 1LL, 999LL, 1'000LL, 61'000LL, 3'600'000LL, 90'061'001LL}) {
    EXPECT_EQ(parseDuration(formatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

// ---- base64 ------------------------------------------------------------------------

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64Decode(""), "");
  EXPECT_EQ(base64Decode("Zg=="), "f");
  EXPECT_EQ(base64Decode("Zm8="), "fo");
  EXPECT_EQ(base64Decode("Zm9v"), "foo");
  EXPECT_EQ(base64Decode("Zm9vYmFy"), "foobar");
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t len = 0; len <= all.size(); len += 37) {
    const std::string data = all.substr(0, len);
    EXPECT_EQ(base64Decode(base64Encode(data)), data) << len;
  }
  EXPECT_EQ(base64Decode(base64Encode(all)), all);
}

TEST(Base64, RejectsMissingOrWrongPadding) {
  EXPECT_EQ(base64Decode("Zg"), std::nullopt);
  EXPECT_EQ(base64Decode("Zg="), std::nullopt);
  EXPECT_EQ(base64Decode("Z==="), std::nullopt);
  EXPECT_EQ(base64Decode("===="), std::nullopt);
  EXPECT_EQ(base64Decode("Zg==Zg=="), std::nullopt);
  EXPECT_EQ(base64Decode("=Zg="), std::nullopt);
}

TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(base64Decode("Zm9v YmFy"), std::nullopt);
  EXPECT_EQ(base64Decode("Zm9vYmFy\n"), std::nullopt);
  EXPECT_EQ(base64Decode("Zm9-"), std::nullopt);
  EXPECT_EQ(base64Decode("Zm9_"), std::nullopt);
  EXPECT_EQ(base64Decode(std::string("Zm9\0", 4)), std::nullopt);
}

TEST(Base64, RejectsStrayBitsInTheLastCharacter) {
  EXPECT_EQ(base64Decode("Zh=="), std::nullopt);
  EXPECT_EQ(base64Decode("Zm9="), std::nullopt);
}

TEST(Base64Url, EncodesWithoutPaddingAndWithUrlAlphabet) {
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64Url, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 255; i >= 0; --i) all += static_cast<char>(i);
  for (size_t len = 0; len <= all.size(); len += 13) {
    const std::string data = all.substr(0, len);
    EXPECT_EQ(base64UrlDecode(base64UrlEncode(data)), data) << len;
  }
}

TEST(Base64Url, RejectsPadding) {
  EXPECT_EQ(base64UrlDecode("Zg=="), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm8="), std::nullopt);
}

TEST(Base64Url, RejectsStandardAlphabetCharacters) {
  EXPECT_EQ(base64UrlDecode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64UrlDecode("+/8"), std::nullopt);
}

TEST(Base64Url, RejectsImpossibleLengthAndStrayBits) {
  EXPECT_EQ(base64UrlDecode("Z"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm9vY"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zh"), std::nullopt);
  EXPECT_EQ(base64UrlDecode("Zm9"), std::nullopt);
}

// ---- split, trim, case --------------------------------------------------------------

TEST(Split, KeepsEmptyFields) {
  EXPECT_EQ(split("a,b", ','), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split(",a,", ','), (std::vector<std::string>{"", "a", ""}));
}

TEST(Split, OfEmptyTextIsOneEmptyField) {
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
}

TEST(Split, WithoutSeparatorIsTheWholeText) {
  EXPECT_EQ(split("abc", '/'), (std::vector<std::string>{"abc"}));
}

TEST(Trim, RemovesLeadingAndTrailingWhitespaceOnly) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim("x"), "x");
}

TEST(Iequals, IgnoresAsciiCase) {
  EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_FALSE(iequals("abc", "abd"));
}

TEST(ToLower, LowersAsciiAndLeavesOtherBytes) {
  EXPECT_EQ(toLower("MiXeD-123"), "mixed-123");
  EXPECT_EQ(toLower("É"), "É");
}

TEST(StartsWith, ChecksThePrefix) {
  EXPECT_TRUE(startsWith("pcs1.abc", "pcs1."));
  EXPECT_TRUE(startsWith("abc", ""));
  EXPECT_FALSE(startsWith("ab", "abc"));
  EXPECT_FALSE(startsWith("xabc", "abc"));
}

// ---- isHeaderSafe ---------------------------------------------------------------------

TEST(IsHeaderSafe, AcceptsPrintableAsciiAndTab) {
  EXPECT_TRUE(isHeaderSafe("Bearer abc.DEF-123_~+/="));
  EXPECT_TRUE(isHeaderSafe("a\tb"));
  EXPECT_TRUE(isHeaderSafe(""));
}

TEST(IsHeaderSafe, RejectsLineBreaksThatWouldSplitHeaders) {
  EXPECT_FALSE(isHeaderSafe("a\r\nX-Injected: 1"));
  EXPECT_FALSE(isHeaderSafe("a\nb"));
  EXPECT_FALSE(isHeaderSafe("a\rb"));
}

TEST(IsHeaderSafe, RejectsNulDelAndNonAscii) {
  EXPECT_FALSE(isHeaderSafe(std::string("a\0b", 3)));
  EXPECT_FALSE(isHeaderSafe("\x7f"));
  EXPECT_FALSE(isHeaderSafe("é"));
}

}  // namespace
}  // namespace portcullis::common
