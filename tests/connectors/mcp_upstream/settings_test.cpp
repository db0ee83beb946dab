#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "settings.hpp"

using namespace portcullis::mcp_upstream;

TEST(CommandLine, SplitsOnBlanksAndHonoursQuotes) {
  EXPECT_EQ(splitCommandLine("node dist/index.js stdio"),
            (std::vector<std::string>{"node", "dist/index.js", "stdio"}));
  EXPECT_EQ(splitCommandLine("  a   'b c'  \"d \\\" e\" f'g h'  "),
            (std::vector<std::string>{"a", "b c", "d \" e", "fg h"}));
  EXPECT_EQ(splitCommandLine("'' x"), (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(splitCommandLine("$HOME *.js"),
            (std::vector<std::string>{"$HOME", "*.js"}));  // no shell expansion
  EXPECT_TRUE(splitCommandLine("   ").empty());
  EXPECT_THROW(splitCommandLine("node 'unterminated"), std::invalid_argument);
}

TEST(Duration, ParsesTheCoreUnits) {
  EXPECT_EQ(parseDuration("250ms"), Millis(250));
  EXPECT_EQ(parseDuration("15s"), Millis(15'000));
  EXPECT_EQ(parseDuration("10m"), Millis(600'000));
  EXPECT_EQ(parseDuration("1h"), Millis(3'600'000));
  EXPECT_THROW(parseDuration("15"), std::invalid_argument);
  EXPECT_THROW(parseDuration("s"), std::invalid_argument);
  EXPECT_THROW(parseDuration("1d"), std::invalid_argument);
}

TEST(Settings, CommandWithoutArgsIsACommandLine) {
  const Settings s = parseSettings(Json{{"command", "node 'my server.js' stdio"}});
  EXPECT_TRUE(s.stdio());
  EXPECT_EQ(s.argv, (std::vector<std::string>{"node", "my server.js", "stdio"}));
}

TEST(Settings, CommandWithArgsIsTheProgramAlone) {
  const Settings s = parseSettings(Json{{"command", "/opt/my tool"}, {"args", {"a b"}}});
  EXPECT_EQ(s.argv, (std::vector<std::string>{"/opt/my tool", "a b"}));
}

TEST(Settings, Defaults) {
  const Settings s = parseSettings(Json{{"url", "http://127.0.0.1:1/mcp"}});
  EXPECT_EQ(s.transport, TransportKind::Auto);
  EXPECT_EQ(s.include, std::vector<std::string>{"*"});
  EXPECT_EQ(s.connectTimeout, Millis(5'000));
  EXPECT_EQ(s.requestTimeout, Millis(60'000));
  EXPECT_EQ(s.pool, 16u);
  EXPECT_EQ(s.breakerFailures, 5);
  EXPECT_EQ(s.whenDown, WhenDown::Error);
  EXPECT_FALSE(s.identity.has_value());
}

TEST(Settings, ExactlyOneOfCommandAndUrl) {
  EXPECT_THROW(parseSettings(Json::object()), std::invalid_argument);
  EXPECT_THROW(parseSettings(Json{{"command", "x"}, {"url", "http://h/"}}), std::invalid_argument);
}

TEST(Settings, KeysOfTheOtherTransportAreRefused) {
  EXPECT_THROW(parseSettings(Json{{"command", "x"}, {"headers", {{"A", "b"}}}}),
               std::invalid_argument);
  EXPECT_THROW(parseSettings(Json{{"url", "http://h/"}, {"args", Json::array()}}),
               std::invalid_argument);
  EXPECT_THROW(parseSettings(Json{{"url", "ftp://h/"}}), std::invalid_argument);
}

TEST(Settings, HeaderValuesFromTheEnvironmentAndFiles) {
  ::setenv("MCP_UPSTREAM_TEST_KEY", "from-env", 1);
  const std::string path = ::testing::TempDir() + "mcp_upstream_secret";
  std::ofstream(path) << "from-file\n";
  const Settings s = parseSettings(Json{{"url", "http://h/"},
                                        {"headers",
                                         {{"X-Plain", "plain"},
                                          {"X-Env", {{"env", "MCP_UPSTREAM_TEST_KEY"}}},
                                          {"X-File", {{"file", path}}}}}});
  EXPECT_EQ(s.headers.at("X-Plain"), "plain");
  EXPECT_EQ(s.headers.at("X-Env"), "from-env");
  EXPECT_EQ(s.headers.at("X-File"), "from-file");
  EXPECT_THROW(parseSettings(Json{{"url", "http://h/"},
                                  {"headers", {{"X", {{"env", "MCP_UPSTREAM_UNSET_VAR"}}}}}}),
               std::invalid_argument);
}

TEST(Settings, TimingKeys) {
  const Settings s = parseSettings(Json{{"command", "x"},
                                        {"timeouts", {{"connect", "250ms"}, {"request", "2m"}}},
                                        {"restart", {{"initial", "2s"}, {"max", "1m"}}},
                                        {"circuit_breaker", {{"failures", 3}, {"reset", "10s"}}},
                                        {"when_down", "hide"}});
  EXPECT_EQ(s.connectTimeout, Millis(250));
  EXPECT_EQ(s.requestTimeout, Millis(120'000));
  EXPECT_EQ(s.restartInitial, Millis(2'000));
  EXPECT_EQ(s.restartMax, Millis(60'000));
  EXPECT_EQ(s.breakerFailures, 3);
  EXPECT_EQ(s.breakerReset, Millis(10'000));
  EXPECT_EQ(s.whenDown, WhenDown::Hide);
  EXPECT_THROW(
      parseSettings(Json{{"command", "x"}, {"restart", {{"initial", "1m"}, {"max", "1s"}}}}),
      std::invalid_argument);
}

TEST(Settings, IdentityAssertion) {
  const Settings s = parseSettings(
      Json{{"url", "http://h/"},
           {"identity", {{"assertion", {{"audience", "https://backend"}, {"ttl", "30s"}}}}}});
  ASSERT_TRUE(s.identity.has_value());
  EXPECT_EQ(s.identity->audience, "https://backend");
  EXPECT_EQ(s.identity->header, "Authorization");
  EXPECT_EQ(s.identity->scheme, "Bearer");
  EXPECT_EQ(s.identity->ttl, Millis(30'000));
}

TEST(Settings, SchemaIsJson) {
  const Json schema = Json::parse(kConfigSchema);
  EXPECT_FALSE(schema["additionalProperties"].get<bool>());
  EXPECT_TRUE(schema["properties"].contains("when_down"));
}
