// Protocol revisions, log levels and URI templates (core/mcp/versions.hpp,
// core/mcp/provider.hpp, core/mcp/uri_template.hpp).

#include "core/mcp/versions.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/mcp/provider.hpp"
#include "core/mcp/uri_template.hpp"

namespace portcullis::mcp {
namespace {

// ---- versions -----------------------------------------------------------------------

TEST(Versions, NegotiateLegacyKeepsEverySupportedLegacyVersion) {
  for (const char* v : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
    EXPECT_EQ(negotiateLegacy(v), v);
  }
}

TEST(Versions, NegotiateLegacyOffersTheNewestForUnknownVersions) {
  EXPECT_EQ(negotiateLegacy("2099-01-01"), "2025-11-25");
  EXPECT_EQ(negotiateLegacy("2024-10-07"), "2025-11-25");
  EXPECT_EQ(negotiateLegacy(""), "2025-11-25");
  EXPECT_EQ(negotiateLegacy("garbage"), "2025-11-25");
}

TEST(Versions, NegotiateLegacyNeverAnswersWithTheModernVersion) {
  EXPECT_EQ(negotiateLegacy("2026-07-28"), "2025-11-25");
}

TEST(Versions, ModernAndLegacyAreDisjoint) {
  EXPECT_TRUE(isModernVersion("2026-07-28"));
  EXPECT_FALSE(isModernVersion("2025-11-25"));
  EXPECT_FALSE(isModernVersion(""));
  EXPECT_FALSE(isModernVersion("2026-07-28 "));
  EXPECT_TRUE(isLegacyVersion("2025-11-25"));
  EXPECT_FALSE(isLegacyVersion("2026-07-28"));
  for (const auto& v : legacyVersions()) EXPECT_FALSE(isModernVersion(v)) << v;
}

TEST(Versions, ListsAreNewestFirst) {
  const auto& legacy = legacyVersions();
  ASSERT_FALSE(legacy.empty());
  EXPECT_EQ(legacy.front(), kLatestLegacyVersion);
  for (size_t i = 1; i < legacy.size(); ++i) EXPECT_GT(legacy[i - 1], legacy[i]);
  ASSERT_EQ(modernVersions().size(), 1u);
  EXPECT_EQ(modernVersions().front(), kModernVersion);
}

TEST(Versions, AtLeastOrdersByDate) {
  EXPECT_TRUE(atLeast("2025-11-25", "2025-06-18"));
  EXPECT_TRUE(atLeast("2025-06-18", "2025-06-18"));
  EXPECT_FALSE(atLeast("2025-03-26", "2025-06-18"));
}

// ---- log levels -------------------------------------------------------------------

TEST(LogLevels, ParseAndNameRoundTrip) {
  for (const char* name :
       {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}) {
    auto level = parseLogLevel(name);
    ASSERT_TRUE(level.has_value()) << name;
    EXPECT_STREQ(logLevelName(*level), name);
  }
}

TEST(LogLevels, UnknownNamesAreRejected) {
  for (const char* name : {"", "Debug", "INFO", "information", "warn", "fatal", "trace"}) {
    EXPECT_EQ(parseLogLevel(name), std::nullopt) << name;
  }
}

TEST(LogLevels, AreOrderedBySeverity) {
  EXPECT_LT(LogLevel::Debug, LogLevel::Info);
  EXPECT_LT(LogLevel::Warning, LogLevel::Error);
  EXPECT_LT(LogLevel::Alert, LogLevel::Emergency);
}

// ---- URI templates ------------------------------------------------------------------

TEST(UriTemplate, SimpleVariableMatchesOneSegment) {
  const UriTemplate t("file:///{name}");
  EXPECT_TRUE(t.matches("file:///readme"));
  EXPECT_FALSE(t.matches("file:///docs/readme"));
  EXPECT_FALSE(t.matches("file:///"));
}

TEST(UriTemplate, VariableInTheMiddle) {
  const UriTemplate t("users://{id}/profile");
  EXPECT_TRUE(t.matches("users://42/profile"));
  EXPECT_FALSE(t.matches("users://42/settings"));
  EXPECT_FALSE(t.matches("users://42/profile/extra"));
  EXPECT_FALSE(t.matches("users:///profile"));
}

TEST(UriTemplate, SimpleVariableStopsAtQueryAndFragment) {
  const UriTemplate t("res://{id}");
  EXPECT_FALSE(t.matches("res://a?b"));
  EXPECT_FALSE(t.matches("res://a#b"));
}

TEST(UriTemplate, ReservedExpansionMatchesSlashes) {
  const UriTemplate t("file:///{+path}");
  EXPECT_TRUE(t.matches("file:///docs/a/b.txt"));
  EXPECT_FALSE(t.matches("file:///"));
}

TEST(UriTemplate, SeveralVariables) {
  const UriTemplate t("repo://{owner}/{name}");
  EXPECT_TRUE(t.matches("repo://a/b"));
  EXPECT_FALSE(t.matches("repo://a"));
}

TEST(UriTemplate, LiteralRegexCharactersAreLiteral) {
  const UriTemplate t("db://x.y+z/(t)*/{id}");
  EXPECT_TRUE(t.matches("db://x.y+z/(t)*/1"));
  EXPECT_FALSE(t.matches("db://xay+z/(t)*/1"));
  EXPECT_FALSE(t.matches("db://x.yyz/(t)*/1"));
}

TEST(UriTemplate, TemplateWithoutVariablesMatchesOnlyItself) {
  const UriTemplate t("config://app?x=1");
  EXPECT_TRUE(t.matches("config://app?x=1"));
  EXPECT_FALSE(t.matches("config://appx=1"));
  EXPECT_FALSE(t.matches("config://app?x=12"));
}

TEST(UriTemplate, UnclosedBraceIsLiteral) {
  const UriTemplate t("a://{b");
  EXPECT_TRUE(t.matches("a://{b"));
  EXPECT_FALSE(t.matches("a://c"));
}

TEST(UriTemplate, KeepsItsText) { EXPECT_EQ(UriTemplate("x://{y}").text(), "x://{y}"); }

// resources/read and completion match client-supplied URIs against
// templates; a long URI must not exhaust the stack. Run in a child process,
// so that a crash is reported as this test's failure.
TEST(UriTemplateDeathTest, VeryLongUriDoesNotExhaustTheStack) {
  const UriTemplate t("notes://{id}");
  const std::string uri = "notes://" + std::string(1'000'000, 'a');
  EXPECT_EXIT(
      {
        const bool matched = t.matches(uri);
        std::exit(matched ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(UriTemplateDeathTest, VeryLongUriWithReservedExpansionDoesNotExhaustTheStack) {
  const UriTemplate t("file:///{+path}");
  const std::string uri = "file:///" + std::string(1'000'000, 'a');
  EXPECT_EXIT(
      {
        const bool matched = t.matches(uri);
        std::exit(matched ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace portcullis::mcp
