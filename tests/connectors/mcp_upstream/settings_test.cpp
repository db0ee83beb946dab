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

// --- auth.user_oauth -----------------------------------------------------------
// What parseSettings refuses. Keys the schema (kConfigSchema) already
// refuses, such as unknown keys, scopes that are not strings or user_oauth
// beside client_credentials, are checked through the host, which validates
// the schema: tests/plugin_abi/linked_accounts_test.cpp.

namespace {

const char* const kUpstreamUrl = "https://upstream.example/mcp";

Json withUserOAuth(Json userOAuth, Json extra = Json::object()) {
  Json config{{"url", kUpstreamUrl}, {"auth", {{"user_oauth", std::move(userOAuth)}}}};
  config.update(extra);
  return config;
}

// The message parseSettings refuses `config` with.
std::string refusal(const Json& config) {
  try {
    parseSettings(config);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(UserOAuth, AnEmptyObjectStartsDiscoveryAtTheUpstreamUrl) {
  const Settings s = parseSettings(withUserOAuth(Json::object()));
  ASSERT_TRUE(s.userOAuth.has_value());
  EXPECT_EQ(*s.userOAuth, (Json{{"resource", kUpstreamUrl}}));
  EXPECT_FALSE(s.clientCredentials.has_value());
  // The connector sets them once the host has accepted the account.
  EXPECT_EQ(s.credentials, nullptr);
}

TEST(UserOAuth, EveryKeyIsCopiedAndTheSecretResolved) {
  ::setenv("MCP_UPSTREAM_TEST_ACCOUNT_SECRET", "from-env-secret", 1);
  const Settings s = parseSettings(withUserOAuth({{"title", "GitHub"},
                                                  {"issuer", "https://github.example"},
                                                  {"authorization_endpoint", "https://github.example/authorize"},
                                                  {"token_endpoint", "http://127.0.0.1:9/token"},
                                                  {"revocation_endpoint", "https://github.example/revoke"},
                                                  {"client_id", "portcullis"},
                                                  {"client_secret", {{"env", "MCP_UPSTREAM_TEST_ACCOUNT_SECRET"}}},
                                                  {"scopes", {"repo", "read:user"}}}));
  ASSERT_TRUE(s.userOAuth.has_value());
  EXPECT_EQ(*s.userOAuth, (Json{{"resource", kUpstreamUrl},
                                {"title", "GitHub"},
                                {"issuer", "https://github.example"},
                                {"authorization_endpoint", "https://github.example/authorize"},
                                {"token_endpoint", "http://127.0.0.1:9/token"},
                                {"revocation_endpoint", "https://github.example/revoke"},
                                {"client_id", "portcullis"},
                                {"client_secret", "from-env-secret"},
                                {"scopes", {"repo", "read:user"}}}));

  const std::string path = ::testing::TempDir() + "mcp_upstream_account_secret";
  std::ofstream(path) << "from-file-secret\n";
  const Settings fromFile =
      parseSettings(withUserOAuth({{"client_id", "portcullis"}, {"client_secret", {{"file", path}}}}));
  EXPECT_EQ(fromFile.userOAuth->value("client_secret", ""), "from-file-secret");
}

TEST(UserOAuth, IsOnlyForAnHttpUpstream) {
  EXPECT_EQ(refusal(Json{{"command", "node server.js"}, {"auth", {{"user_oauth", Json::object()}}}}),
            "auth: only for an HTTP upstream (url)");
}

TEST(UserOAuth, EndpointsComeInPairs) {
  EXPECT_EQ(refusal(withUserOAuth({{"authorization_endpoint", "https://github.example/authorize"}})),
            "auth.user_oauth: give both authorization_endpoint and token_endpoint, or neither");
  EXPECT_EQ(refusal(withUserOAuth({{"token_endpoint", "https://github.example/token"}})),
            "auth.user_oauth: give both authorization_endpoint and token_endpoint, or neither");
}

TEST(UserOAuth, EndpointsAndTheIssuerAreHttpUrls) {
  const Json good{{"authorization_endpoint", "https://github.example/authorize"},
                  {"token_endpoint", "https://github.example/token"},
                  {"revocation_endpoint", "https://github.example/revoke"},
                  {"issuer", "https://github.example"}};
  EXPECT_EQ(refusal(withUserOAuth(good)), "(accepted)");
  for (const char* key : {"authorization_endpoint", "token_endpoint", "revocation_endpoint", "issuer"}) {
    for (const char* bad : {"ftp://github.example/x", "github.example/x", "javascript:alert(1)", "HTTPS//x"}) {
      SCOPED_TRACE(std::string(key) + " = " + bad);
      Json userOAuth = good;
      userOAuth[key] = bad;
      EXPECT_EQ(refusal(withUserOAuth(userOAuth)),
                std::string("auth.user_oauth.") + key + ": must start with http:// or https://");
    }
  }
}

TEST(UserOAuth, AClientSecretNeedsAClientIdAndItsSource) {
  EXPECT_EQ(refusal(withUserOAuth({{"client_secret", "s3cret"}})), "auth.user_oauth.client_secret: needs client_id");
  EXPECT_EQ(refusal(withUserOAuth(
                {{"client_id", "portcullis"}, {"client_secret", {{"env", "MCP_UPSTREAM_UNSET_ACCOUNT_SECRET"}}}})),
            "auth.user_oauth.client_secret: environment variable MCP_UPSTREAM_UNSET_ACCOUNT_SECRET is not set");
  EXPECT_EQ(refusal(withUserOAuth({{"client_id", "portcullis"}, {"client_secret", "plain"}})), "(accepted)");
}

TEST(UserOAuth, NoOtherAuthorizationHeader) {
  for (const char* header : {"Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"}) {
    SCOPED_TRACE(header);
    EXPECT_EQ(refusal(withUserOAuth(Json::object(), {{"headers", {{header, "Bearer static"}}}})),
              "auth.user_oauth and headers both set Authorization; remove one");
  }
  EXPECT_EQ(refusal(withUserOAuth(Json::object(), {{"headers", {{"X-Api-Key", "k"}, {"Authorizations", "x"}}}})),
            "(accepted)");
}

TEST(UserOAuth, AnIdentityAssertionGoesInAnotherHeader) {
  const std::string message =
      "auth and identity.assertion both want the Authorization header; give the assertion another header";
  // Authorization is the assertion's default header.
  EXPECT_EQ(refusal(withUserOAuth(Json::object(), {{"identity", {{"assertion", {{"audience", "https://b"}}}}}})),
            message);
  EXPECT_EQ(refusal(withUserOAuth(Json::object(), {{"identity",
                                                    {{"assertion",
                                                      {{"audience", "https://b"}, {"header", "authorization"}}}}}})),
            message);
  const Settings s = parseSettings(withUserOAuth(
      Json::object(), {{"identity", {{"assertion", {{"audience", "https://b"}, {"header", "X-Identity"}}}}}}));
  ASSERT_TRUE(s.identity.has_value());
  EXPECT_EQ(s.identity->header, "X-Identity");
  EXPECT_TRUE(s.userOAuth.has_value());
}

TEST(ClientCredentialsAuth, NoOtherAuthorizationInAnyLetterCase) {
  const Json auth{{"client_credentials",
                   {{"token_url", "https://as.example/token"}, {"client_id", "c"}, {"client_secret", "s"}}}};
  const Json base{{"url", kUpstreamUrl}, {"auth", auth}};
  for (const char* header : {"Authorization", "authorization"}) {
    SCOPED_TRACE(header);
    Json withHeader = base;
    withHeader["headers"] = {{header, "Bearer static"}};
    EXPECT_EQ(refusal(withHeader), "auth.client_credentials and headers both set Authorization; remove one");
    Json withAssertion = base;
    withAssertion["identity"] = {{"assertion", {{"audience", "https://b"}, {"header", header}}}};
    EXPECT_EQ(refusal(withAssertion),
              "auth and identity.assertion both want the Authorization header; give the assertion another header");
  }
  EXPECT_EQ(refusal(base), "(accepted)");
}
