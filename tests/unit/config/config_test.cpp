// Loading the server configuration from YAML text: values, defaults, and the
// ConfigError (YAML path + 1-based line) for everything that is wrong
// (core/config/config.hpp).

#include "core/config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/common/error.hpp"

namespace portcullis::config {
namespace {

using common::ConfigError;
using common::ConfigIssue;

// Loads text that must be rejected and returns the error's issues.
std::vector<ConfigIssue> issuesOf(const std::string& text) {
  try {
    loadConfigText(text, "test.yaml");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "test.yaml");
    return e.issues();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return {};
}

// The single issue a text produces.
ConfigIssue onlyIssue(const std::string& text) {
  auto issues = issuesOf(text);
  EXPECT_EQ(issues.size(), 1u);
  if (issues.empty()) return {};
  return issues.front();
}

std::string describe(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& i : issues)
    out += std::to_string(i.line) + " [" + i.path + "] " + i.message + "\n";
  return out;
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

const char* kFull = R"(server:
  listen: 0.0.0.0:9090
  mcp_path: /gateway/
  allowed_origins: [https://app.example.com]
  allowed_hosts: [mcp.example.com]
  max_body_bytes: 65536
  threads: 8
  max_queued: 32
  keep_alive_timeout: 5s
  request_timeout: 1m
  legacy_sse: false
streams:
  heartbeat: 250ms
  retry: 3s
  max_queued_bytes: 8192
  max_streams: 10
  history: 0
sessions:
  idle_timeout: 10m
  max: 5
  client_request_timeout: 2h
mcp:
  server_name: test-gateway
  instructions: Be nice.
  list_ttl: 1d
  page_size: 50
  validate_arguments: false
logging:
  level: debug
data_dir: /var/lib/portcullis
plugin_dirs: [/opt/plugins, ./plugins]
plugins:
  - name: demo
    kind: primitives
    library: demo
    config:
      greeting: hello
  - name: upstream
    kind: connector
    library: /opt/plugins/libupstream.so
)";

// ---- valid configurations -------------------------------------------------------

TEST(LoadConfig, ReadsEveryServerValue) {
  const Config c = loadConfigText(kFull, "full.yaml");
  EXPECT_EQ(c.source, "full.yaml");
  EXPECT_EQ(c.server.listenHost, "0.0.0.0");
  EXPECT_EQ(c.server.listenPort, 9090);
  EXPECT_EQ(c.server.allowedOrigins, std::vector<std::string>{"https://app.example.com"});
  EXPECT_EQ(c.server.allowedHosts, std::vector<std::string>{"mcp.example.com"});
  EXPECT_EQ(c.server.maxBodyBytes, 65536u);
  EXPECT_EQ(c.server.threads, 8);
  EXPECT_EQ(c.server.maxQueued, 32);
  EXPECT_FALSE(c.server.legacySse);
}

TEST(LoadConfig, ParsesDurationsIntoMillis) {
  const Config c = loadConfigText(kFull, "full.yaml");
  EXPECT_EQ(c.server.keepAliveTimeout, Millis(5'000));
  EXPECT_EQ(c.server.requestTimeout, Millis(60'000));
  EXPECT_EQ(c.streams.heartbeat, Millis(250));
  EXPECT_EQ(c.streams.retry, Millis(3'000));
  EXPECT_EQ(c.sessions.idleTimeout, Millis(600'000));
  EXPECT_EQ(c.sessions.clientRequestTimeout, Millis(7'200'000));
  EXPECT_EQ(c.mcp.listTtl, Millis(86'400'000));
}

TEST(LoadConfig, ReadsStreamsSessionsMcpAndLogging) {
  const Config c = loadConfigText(kFull, "full.yaml");
  EXPECT_EQ(c.streams.maxQueuedBytes, 8192u);
  EXPECT_EQ(c.streams.maxStreams, 10u);
  EXPECT_EQ(c.streams.history, 0u);
  EXPECT_EQ(c.sessions.max, 5u);
  EXPECT_EQ(c.mcp.serverName, "test-gateway");
  EXPECT_EQ(c.mcp.instructions, "Be nice.");
  EXPECT_EQ(c.mcp.pageSize, 50u);
  EXPECT_FALSE(c.mcp.validateArguments);
  EXPECT_EQ(c.logLevel, "debug");
  EXPECT_EQ(c.dataDir, "/var/lib/portcullis");
  EXPECT_EQ(c.pluginDirs, (std::vector<std::string>{"/opt/plugins", "./plugins"}));
}

TEST(LoadConfig, ReadsPluginDeclarationsInOrderWithPathAndLine) {
  const Config c = loadConfigText(kFull, "full.yaml");
  ASSERT_EQ(c.plugins.size(), 2u);
  EXPECT_EQ(c.plugins[0].name, "demo");
  EXPECT_EQ(c.plugins[0].kind, "primitives");
  EXPECT_EQ(c.plugins[0].library, "demo");
  EXPECT_EQ(c.plugins[0].path, "plugins[0]");
  EXPECT_EQ(c.plugins[0].line, 33);
  auto config = common::json::asObject(c.plugins[0].config);
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(common::json::getString(config, "greeting"), "hello");
  EXPECT_EQ(c.plugins[1].name, "upstream");
  EXPECT_EQ(c.plugins[1].path, "plugins[1]");
  EXPECT_EQ(c.plugins[1].line, 38);
}

TEST(LoadConfig, PluginWithoutConfigGetsAnEmptyObject) {
  const Config c = loadConfigText(kFull, "full.yaml");
  auto config = common::json::asObject(c.plugins[1].config);
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->size(), 0u);
}

TEST(LoadConfig, EmptyTextGivesDefaults) {
  const Config c = loadConfigText("", "empty.yaml");
  EXPECT_EQ(c.server.listenHost, "127.0.0.1");
  EXPECT_EQ(c.server.listenPort, 8080);
  EXPECT_EQ(c.server.mcpPath, "/mcp");
  EXPECT_TRUE(c.server.legacySse);
  EXPECT_EQ(c.mcp.pageSize, 1000u);
  EXPECT_TRUE(c.plugins.empty());
}

TEST(LoadConfig, AuditDefaultsAndValues) {
  const Config defaults = loadConfigText("", "empty.yaml");
  EXPECT_TRUE(defaults.audit.enabled);
  EXPECT_EQ(defaults.audit.retention, Millis(90LL * 86'400'000));
  EXPECT_EQ(defaults.audit.queue, 10'000u);
  const Config c = loadConfigText("audit:\n  enabled: false\n  retention: 7d\n  queue: 500\n", "t");
  EXPECT_FALSE(c.audit.enabled);
  EXPECT_EQ(c.audit.retention, Millis(7LL * 86'400'000));
  EXPECT_EQ(c.audit.queue, 500u);
}

TEST(LoadConfig, McpPathTrailingSlashIsTrimmed) {
  EXPECT_EQ(loadConfigText(kFull, "full.yaml").server.mcpPath, "/gateway");
  EXPECT_EQ(loadConfigText("server:\n  mcp_path: /api/mcp/\n", "t").server.mcpPath, "/api/mcp");
}

TEST(LoadConfig, RootMcpPathStaysASlash) {
  EXPECT_EQ(loadConfigText("server:\n  mcp_path: /\n", "t").server.mcpPath, "/");
}

TEST(LoadConfig, IPv6ListenAddress) {
  const Config c = loadConfigText("server:\n  listen: \"[::1]:8443\"\n", "t");
  EXPECT_EQ(c.server.listenHost, "::1");
  EXPECT_EQ(c.server.listenPort, 8443);
}

TEST(LoadConfig, QuotedNumberStaysAString) {
  const Config c = loadConfigText("mcp:\n  server_name: \"123\"\n  instructions: '0'\n", "t");
  EXPECT_EQ(c.mcp.serverName, "123");
  EXPECT_EQ(c.mcp.instructions, "0");
}

TEST(LoadConfig, QuotedNumberIsNotAcceptedWhereAnIntegerIsRequired) {
  const auto issue = onlyIssue("server:\n  threads: \"8\"\n");
  EXPECT_EQ(issue.path, "server.threads");
  EXPECT_EQ(issue.line, 2);
}

TEST(LoadConfig, IntegralFloatForAnIntegerKeyIsNotSilentlyIgnored) {
  // "8.0" passes the schema's integer check; it must then be used (or
  // rejected), never dropped in favour of the default.
  try {
    const Config c = loadConfigText("server:\n  threads: 8.0\n", "t");
    EXPECT_EQ(c.server.threads, 8);
  } catch (const ConfigError&) {
    SUCCEED();
  }
}

// ---- environment variables --------------------------------------------------------

TEST(LoadConfigEnv, ExpandsAVariable) {
  ScopedEnv env("PORTCULLIS_UT_NAME", "from-env");
  const Config c = loadConfigText("mcp:\n  server_name: ${PORTCULLIS_UT_NAME}\n", "t");
  EXPECT_EQ(c.mcp.serverName, "from-env");
}

TEST(LoadConfigEnv, ExpandsInsideLongerText) {
  ScopedEnv env("PORTCULLIS_UT_DIR", "data");
  const Config c = loadConfigText("data_dir: /srv/${PORTCULLIS_UT_DIR}/x\n", "t");
  EXPECT_EQ(c.dataDir, "/srv/data/x");
}

TEST(LoadConfigEnv, UsesTheDefaultWhenUnset) {
  ::unsetenv("PORTCULLIS_UT_UNSET");
  const Config c = loadConfigText("mcp:\n  server_name: ${PORTCULLIS_UT_UNSET:-fallback}\n", "t");
  EXPECT_EQ(c.mcp.serverName, "fallback");
}

TEST(LoadConfigEnv, PrefersTheVariableOverTheDefault) {
  ScopedEnv env("PORTCULLIS_UT_SET", "set");
  const Config c = loadConfigText("mcp:\n  server_name: ${PORTCULLIS_UT_SET:-fallback}\n", "t");
  EXPECT_EQ(c.mcp.serverName, "set");
}

TEST(LoadConfigEnv, UnsetVariableWithoutDefaultIsAnErrorWithPathAndLine) {
  ::unsetenv("PORTCULLIS_UT_MISSING");
  const auto issue = onlyIssue("data_dir: ./var\nmcp:\n  server_name: ${PORTCULLIS_UT_MISSING}\n");
  EXPECT_EQ(issue.path, "mcp.server_name");
  EXPECT_EQ(issue.line, 3);
  EXPECT_NE(issue.message.find("PORTCULLIS_UT_MISSING"), std::string::npos);
}

TEST(LoadConfigEnv, ExpandedPlainValueIsTyped) {
  ScopedEnv env("PORTCULLIS_UT_THREADS", "12");
  const Config c = loadConfigText("server:\n  threads: ${PORTCULLIS_UT_THREADS}\n", "t");
  EXPECT_EQ(c.server.threads, 12);
}

TEST(LoadConfigEnv, ExpandedQuotedValueStaysAString) {
  ScopedEnv env("PORTCULLIS_UT_NUMBER", "123");
  const Config c = loadConfigText("mcp:\n  server_name: \"${PORTCULLIS_UT_NUMBER}\"\n", "t");
  EXPECT_EQ(c.mcp.serverName, "123");
}

TEST(LoadConfigEnv, ValuesAreNotExpandedTwice) {
  ScopedEnv env("PORTCULLIS_UT_INDIRECT", "${PORTCULLIS_UT_OTHER}");
  ScopedEnv other("PORTCULLIS_UT_OTHER", "leaked");
  const Config c = loadConfigText("mcp:\n  instructions: ${PORTCULLIS_UT_INDIRECT}\n", "t");
  EXPECT_EQ(c.mcp.instructions, "${PORTCULLIS_UT_OTHER}");
}

// ---- unknown keys and type errors -------------------------------------------------

TEST(LoadConfigErrors, UnknownTopLevelKeyGivesPathAndLine) {
  const auto issue = onlyIssue("data_dir: ./var\n\nbogus: 1\n");
  EXPECT_EQ(issue.path, "bogus");
  EXPECT_EQ(issue.line, 3);
  EXPECT_EQ(issue.message, "unknown key");
}

TEST(LoadConfigErrors, UnknownNestedKeyGivesPathAndLine) {
  const auto issue = onlyIssue("server:\n  listen: 127.0.0.1:1\n  lisen: 127.0.0.1:2\n");
  EXPECT_EQ(issue.path, "server.lisen");
  EXPECT_EQ(issue.line, 3);
}

TEST(LoadConfigErrors, UnknownKeyInsidePluginDeclaration) {
  const auto issue = onlyIssue(
      "plugins:\n"
      "  - name: a\n"
      "    kind: primitives\n"
      "    library: a\n"
      "    extra: true\n");
  EXPECT_EQ(issue.path, "plugins[0].extra");
  EXPECT_EQ(issue.line, 5);
}

TEST(LoadConfigErrors, EveryProblemIsReported) {
  const auto issues = issuesOf("a: 1\nserver:\n  b: 2\nmcp:\n  c: 3\n");
  ASSERT_EQ(issues.size(), 3u) << describe(issues);
  EXPECT_EQ(issues[0].path, "a");
  EXPECT_EQ(issues[0].line, 1);
  EXPECT_EQ(issues[1].path, "server.b");
  EXPECT_EQ(issues[1].line, 3);
  EXPECT_EQ(issues[2].path, "mcp.c");
  EXPECT_EQ(issues[2].line, 5);
}

TEST(LoadConfigErrors, WhatNamesFileLinePathAndMessage) {
  try {
    loadConfigText("server:\n  lisen: x\n", "my.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "my.yaml:2: server.lisen: unknown key");
  }
}

TEST(LoadConfigErrors, ConfigErrorIsAStartupError) {
  EXPECT_THROW(loadConfigText("bogus: 1\n", "t"), common::StartupError);
}

TEST(LoadConfigErrors, TypeErrorGivesPathAndLine) {
  const auto issue = onlyIssue("server:\n  listen: 127.0.0.1:1\n  threads: many\n");
  EXPECT_EQ(issue.path, "server.threads");
  EXPECT_EQ(issue.line, 3);
  EXPECT_NE(issue.message.find("integer"), std::string::npos);
}

TEST(LoadConfigErrors, YesIsNotABoolean) {
  const auto issue = onlyIssue("server:\n  legacy_sse: yes\n");
  EXPECT_EQ(issue.path, "server.legacy_sse");
}

TEST(LoadConfigErrors, SectionOfWrongType) {
  const auto issue = onlyIssue("server: 8080\n");
  EXPECT_EQ(issue.path, "server");
  EXPECT_EQ(issue.line, 1);
}

TEST(LoadConfigErrors, OutOfRangeInteger) {
  const auto issue = onlyIssue("server:\n  threads: 1\n");
  EXPECT_EQ(issue.path, "server.threads");
}

TEST(LoadConfigErrors, NumberTooLargeForYaml) {
  const auto issue = onlyIssue("sessions:\n  max: 99999999999999999999\n");
  EXPECT_EQ(issue.path, "sessions.max");
  EXPECT_EQ(issue.line, 2);
}

TEST(LoadConfigErrors, BadDuration) {
  const auto issue = onlyIssue("streams:\n  retry: 5 parsecs\n");
  EXPECT_EQ(issue.path, "streams.retry");
  EXPECT_EQ(issue.line, 2);
}

TEST(LoadConfigErrors, HeartbeatBelowMinimum) {
  const auto issue = onlyIssue("streams:\n  heartbeat: 50ms\n");
  EXPECT_EQ(issue.path, "streams.heartbeat");
  EXPECT_EQ(issue.line, 2);
}

TEST(LoadConfigErrors, AuditRetentionBelowAMinute) {
  const auto issue = onlyIssue("audit:\n  retention: 30s\n");
  EXPECT_EQ(issue.path, "audit.retention");
  EXPECT_EQ(issue.line, 2);
}

TEST(LoadConfigErrors, AuditQueueOfZeroAndUnknownAuditKeys) {
  EXPECT_EQ(onlyIssue("audit:\n  queue: 0\n").path, "audit.queue");
  EXPECT_EQ(onlyIssue("audit:\n  table: decisions\n").path, "audit.table");
}

TEST(LoadConfigErrors, BadLogLevel) {
  const auto issue = onlyIssue("logging:\n  level: loud\n");
  EXPECT_EQ(issue.path, "logging.level");
}

TEST(LoadConfigErrors, RootMustBeAMapping) {
  const auto issue = onlyIssue("- a\n- b\n");
  EXPECT_EQ(issue.line, 1);
}

TEST(LoadConfigErrors, PluginMissingRequiredMemberPointsAtTheEntry) {
  const auto issue = onlyIssue("plugins:\n  - name: a\n    kind: primitives\n");
  EXPECT_EQ(issue.path, "plugins[0].library");
  EXPECT_EQ(issue.line, 2);
  EXPECT_EQ(issue.message, "is required");
}

TEST(LoadConfigErrors, PluginOfUnknownKind) {
  const auto issue = onlyIssue("plugins:\n  - name: a\n    kind: magic\n    library: a\n");
  EXPECT_EQ(issue.path, "plugins[0].kind");
  EXPECT_EQ(issue.line, 3);
}

TEST(LoadConfigErrors, PluginNameWithForbiddenCharacters) {
  const auto issue =
      onlyIssue("plugins:\n  - name: ../evil\n    kind: primitives\n    library: a\n");
  EXPECT_EQ(issue.path, "plugins[0].name");
}

TEST(LoadConfigErrors, DuplicatePluginNames) {
  const auto issue = onlyIssue(
      "plugins:\n"
      "  - name: same\n"
      "    kind: primitives\n"
      "    library: a\n"
      "  - name: same\n"
      "    kind: connector\n"
      "    library: b\n");
  EXPECT_EQ(issue.path, "plugins[1].name");
  EXPECT_EQ(issue.line, 5);
  EXPECT_NE(issue.message.find("same"), std::string::npos);
}

TEST(LoadConfigErrors, McpPathClashingWithLegacySse) {
  const auto issue = onlyIssue("server:\n  mcp_path: /sse\n");
  EXPECT_EQ(issue.path, "server.mcp_path");
  EXPECT_EQ(issue.line, 2);
  EXPECT_NO_THROW(loadConfigText("server:\n  mcp_path: /sse\n  legacy_sse: false\n", "t"));
}

TEST(LoadConfigErrors, BadMcpPath) {
  EXPECT_EQ(onlyIssue("server:\n  mcp_path: mcp\n").path, "server.mcp_path");
  EXPECT_EQ(onlyIssue("server:\n  mcp_path: \"/a b\"\n").path, "server.mcp_path");
}

TEST(LoadConfigErrors, OriginWithPathIsRejected) {
  const auto issue = onlyIssue("server:\n  allowed_origins:\n    - https://a.example.com/path\n");
  EXPECT_EQ(issue.path, "server.allowed_origins[0]");
  EXPECT_EQ(issue.line, 3);
}

// ---- server.listen ----------------------------------------------------------------

TEST(LoadConfigErrors, ListenWithoutPort) {
  const auto issue = onlyIssue("server:\n  listen: localhost\n");
  EXPECT_EQ(issue.path, "server.listen");
  EXPECT_EQ(issue.line, 2);
}

TEST(LoadConfigErrors, ListenWithPortOutOfRange) {
  const auto issue = onlyIssue("# comment\nserver:\n  listen: 127.0.0.1:70000\n");
  EXPECT_EQ(issue.path, "server.listen");
  EXPECT_EQ(issue.line, 3);
}

// ---- YAML-level problems --------------------------------------------------------

TEST(LoadConfigYaml, DuplicateKeyIsAnError) {
  const auto issue = onlyIssue("server:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n");
  EXPECT_EQ(issue.path, "server.listen");
  EXPECT_EQ(issue.line, 3);
  EXPECT_NE(issue.message.find("duplicate"), std::string::npos);
}

TEST(LoadConfigYaml, DuplicateTopLevelSectionIsAnError) {
  const auto issue = onlyIssue("server:\n  threads: 4\nserver:\n  threads: 8\n");
  EXPECT_EQ(issue.path, "server");
  EXPECT_EQ(issue.line, 3);
}

TEST(LoadConfigYaml, SyntaxErrorReportsALine) {
  const auto issue = onlyIssue("server:\n  listen: 127.0.0.1:1\n  allowed_hosts: [a, b\nmcp: {}\n");
  EXPECT_GE(issue.line, 3);
  EXPECT_NE(issue.message.find("YAML syntax error"), std::string::npos);
}

TEST(LoadConfigYaml, BadIndentationReportsItsLine) {
  const auto issue = onlyIssue("server:\n  listen: 127.0.0.1:1\n threads: 4\n");
  EXPECT_EQ(issue.line, 3);
  EXPECT_NE(issue.message.find("YAML syntax error"), std::string::npos);
}

TEST(LoadConfigYaml, NonScalarKeyIsAnError) {
  const auto issues = issuesOf("? [a, b]\n: 1\n");
  ASSERT_FALSE(issues.empty());
}

// ---- parseListen -----------------------------------------------------------------

TEST(ParseListen, IPv4) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(parseListen("127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
}

TEST(ParseListen, HostName) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(parseListen("localhost:1", host, port));
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 1);
}

TEST(ParseListen, BracketedIPv6) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(parseListen("[::1]:8080", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8080);
}

TEST(ParseListen, PortZeroAndPortMax) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(parseListen("0.0.0.0:0", host, port));
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(parseListen("0.0.0.0:65535", host, port));
  EXPECT_EQ(port, 65535);
}

TEST(ParseListen, RejectsMissingPort) {
  std::string host;
  uint16_t port = 0;
  EXPECT_FALSE(parseListen("localhost", host, port));
  EXPECT_FALSE(parseListen("localhost:", host, port));
  EXPECT_FALSE(parseListen("[::1]", host, port));
  EXPECT_FALSE(parseListen("[::1]:", host, port));
}

TEST(ParseListen, RejectsMissingHost) {
  std::string host;
  uint16_t port = 0;
  EXPECT_FALSE(parseListen(":8080", host, port));
  EXPECT_FALSE(parseListen("[]:8080", host, port));
  EXPECT_FALSE(parseListen("", host, port));
}

TEST(ParseListen, RejectsPortOutOfRange) {
  std::string host;
  uint16_t port = 0;
  EXPECT_FALSE(parseListen("127.0.0.1:70000", host, port));
  EXPECT_FALSE(parseListen("127.0.0.1:65536", host, port));
  EXPECT_FALSE(parseListen("127.0.0.1:4294967296", host, port));
}

TEST(ParseListen, RejectsNonNumericPort) {
  std::string host;
  uint16_t port = 0;
  EXPECT_FALSE(parseListen("host:http", host, port));
  EXPECT_FALSE(parseListen("host:80x", host, port));
  EXPECT_FALSE(parseListen("host:-1", host, port));
  EXPECT_FALSE(parseListen("host: 80", host, port));
}

TEST(ParseListen, RejectsUnbracketedIPv6) {
  std::string host;
  uint16_t port = 0;
  EXPECT_FALSE(parseListen("::1:8080", host, port));
  EXPECT_FALSE(parseListen("[::1]8080", host, port));
}

// ---- the YAML document -----------------------------------------------------------

TEST(ParseYaml, PlainScalarsAreTyped) {
  const YamlDocument doc =
      parseYaml("a: ~\nb: true\nc: -3\nd: 1.5\ne: 1e3\nf: 0x10\ng: text\nh: False\n", "t");
  auto o = common::json::asObject(doc.value);
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(common::json::isNull(o->get("a")));
  EXPECT_EQ(common::json::getBool(o, "b"), true);
  EXPECT_EQ(common::json::getInt(o, "c"), -3);
  EXPECT_EQ(common::json::getNumber(o, "d"), 1.5);
  EXPECT_EQ(common::json::getNumber(o, "e"), 1000.0);
  EXPECT_EQ(common::json::getString(o, "f"), "0x10");
  EXPECT_EQ(common::json::getString(o, "g"), "text");
  EXPECT_EQ(common::json::getBool(o, "h"), false);
}

TEST(ParseYaml, QuotedScalarsStayStrings) {
  const YamlDocument doc = parseYaml("a: \"true\"\nb: '1'\nc: \"~\"\n", "t");
  auto o = common::json::asObject(doc.value);
  EXPECT_EQ(common::json::getString(o, "a"), "true");
  EXPECT_EQ(common::json::getString(o, "b"), "1");
  EXPECT_EQ(common::json::getString(o, "c"), "~");
}

TEST(ParseYaml, LineOfFallsBackToTheNearestAncestor) {
  const YamlDocument doc = parseYaml("x: 1\nlist:\n  - a: 1\n    b: 2\n", "t");
  EXPECT_EQ(doc.lineOf("list[0].b"), 4);
  EXPECT_EQ(doc.lineOf("list[0].missing"), 3);
  EXPECT_EQ(doc.lineOf("list[7]"), 2);
  EXPECT_EQ(doc.lineOf("x"), 1);
}

}  // namespace
}  // namespace portcullis::config
