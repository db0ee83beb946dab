// The portcullis executable end to end: `serve`, `config check` and
// `plugins list` against configurations naming broken plugins must exit 78
// with the plugin's name and the reason, never crash; good configurations
// pass, and a served plugin's tools answer over HTTP.

#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "core/common/json.hpp"
#include "tests/plugin_abi/abi_fixtures.hpp"
#include "tests/plugin_abi/child_process.hpp"
#include "tests/plugin_abi/mcp_session.hpp"

namespace portcullis::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using namespace std::chrono_literals;
namespace json = common::json;

constexpr int kExitConfig = 78;
constexpr auto kBound = 120s;  // generous: a healthy run takes well under a second

ChildResult portcullis(const std::vector<std::string>& args) {
  return runChild(PORTCULLIS_TEST_BINARY, args, kBound);
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The first line of `text` containing every needle; "" when none does.
std::string lineWith(const std::string& text, const std::vector<std::string>& needles) {
  for (const auto& line : linesOf(text)) {
    bool all = true;
    for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
    if (all) return line;
  }
  return {};
}

std::string escapeRegex(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

// ---------------------------------------------------------------------------
// serve: every broken plugin stops start-up with exit 78.

class ServeFailure : public ::testing::TestWithParam<FailureCase> {
 protected:
  ScratchDir dir_;
};

TEST_P(ServeFailure, ExitsWithConfigErrorNamingThePluginAndReason) {
  const FailureCase& c = GetParam();
  const CaseConfig yaml = writeCaseConfig(c, dir_);
  const ChildResult r = portcullis({"serve", "--config", yaml.file, "--listen", "127.0.0.1:0"});
  ASSERT_FALSE(r.timedOut) << r.describe();
  ASSERT_TRUE(r.exited) << "portcullis crashed: " << r.describe();
  EXPECT_EQ(r.exitCode, kExitConfig) << r.describe();
  EXPECT_THAT(r.out, Not(HasSubstr("serving MCP"))) << r.describe();

  const std::string location = yaml.file + ":" + std::to_string(yaml.expectedLine) + ": " + yaml.expectedPath + ": ";
  const std::string line = lineWith(r.err, {location});
  ASSERT_FALSE(line.empty()) << "no line starting " << location << "\n" << r.describe();
  EXPECT_THAT(line, HasSubstr(c.reason)) << r.describe();
  EXPECT_THAT(line, HasSubstr(c.pluginName())) << "the error does not name the plugin\n" << r.describe();
}

INSTANTIATE_TEST_SUITE_P(EveryFailure, ServeFailure, ::testing::ValuesIn(failureCases()),
                         [](const auto& info) { return info.param.id; });

// ---------------------------------------------------------------------------
// config check and plugins list see every failure short of creating the plugin.

class CheckFailure : public ::testing::TestWithParam<FailureCase> {
 protected:
  ScratchDir dir_;
};

TEST_P(CheckFailure, ConfigCheckExits78WithFileLinePathAndReason) {
  const FailureCase& c = GetParam();
  const CaseConfig yaml = writeCaseConfig(c, dir_);
  const ChildResult r = portcullis({"config", "check", yaml.file});
  ASSERT_TRUE(r.exited) << "portcullis crashed: " << r.describe();
  EXPECT_EQ(r.exitCode, kExitConfig) << r.describe();
  const std::string line = lineWith(r.err, {c.reason});
  ASSERT_FALSE(line.empty()) << r.describe();
  // FILE:LINE: PATH: message, about plugins[1].
  EXPECT_TRUE(std::regex_search(line, std::regex("^" + escapeRegex(yaml.file) + R"(:[0-9]+: plugins\[1\][^ ]*: )")))
      << line;
  EXPECT_THAT(line, HasSubstr(yaml.expectedPath)) << line;
  EXPECT_THAT(line, HasSubstr(c.pluginName())) << "the error does not name the plugin\n" << r.describe();
  EXPECT_THAT(r.err, Not(HasSubstr("plugins[0]"))) << "the good plugin was reported\n" << r.describe();
}

TEST_P(CheckFailure, PluginsListShowsTheReasonAndExits78) {
  const FailureCase& c = GetParam();
  const CaseConfig yaml = writeCaseConfig(c, dir_);
  const ChildResult r = portcullis({"plugins", "list", "--config", yaml.file});
  ASSERT_TRUE(r.exited) << "portcullis crashed: " << r.describe();
  EXPECT_EQ(r.exitCode, kExitConfig) << r.describe();
  const auto lines = linesOf(r.out);
  ASSERT_GE(lines.size(), 3u) << r.describe();
  EXPECT_TRUE(std::regex_search(lines[0], std::regex(R"(^NAME +KIND +LIBRARY +ABI +HEALTH +STATE$)"))) << lines[0];
  EXPECT_TRUE(std::regex_search(lines[1], std::regex(R"(^demo +primitives +\S+demo\.so +[0-9]+\.[0-9]+ +- +ok$)")))
      << lines[1];
  EXPECT_TRUE(std::regex_search(lines[2], std::regex("^" + c.pluginName() + " +" + c.kind + " ")))
      << lines[2];
  EXPECT_THAT(lines[2], HasSubstr("error: "));
  EXPECT_THAT(lines[2], HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(EveryFailureSeenWithoutCreating, CheckFailure,
                         ::testing::ValuesIn(failureCasesSeenWithoutCreating()),
                         [](const auto& info) { return info.param.id; });

// ---------------------------------------------------------------------------
// config check and plugins list on the committed fixtures.

class CliFixtures : public ::testing::Test {
 protected:
  std::string writeFixture(const std::string& relative) {
    const std::string name = std::filesystem::path(relative).filename().string();
    return dir_.write(name, fixtureText(relative));
  }
  ScratchDir dir_;
};

TEST_F(CliFixtures, ConfigCheckAcceptsAGoodFile) {
  const std::string file = writeFixture("configs/good.yaml");
  const ChildResult r = portcullis({"config", "check", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_THAT(r.out, HasSubstr(file + ": OK (3 plugins)")) << r.describe();
  EXPECT_EQ(r.err, "") << r.describe();
}

TEST_F(CliFixtures, ConfigCheckPointsAnUnknownPluginConfigKeyAtItsPathAndLine) {
  const std::string file = writeFixture("configs/unknown_key.yaml");
  const std::string text = readFile(file);
  const int line = lineContaining(text, "bogus_key: 1");
  ASSERT_GT(line, 0);
  const ChildResult r = portcullis({"config", "check", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exitCode, kExitConfig) << r.describe();
  // FILE:LINE: PATH: message, where LINE and PATH are those of the unknown
  // key, as `serve` reports the same problem.
  const std::string expected = file + ":" + std::to_string(line) + ": plugins[0].config.bogus_key: ";
  const std::string reported = lineWith(r.err, {"unknown key"});
  EXPECT_THAT(reported, ::testing::StartsWith(expected)) << r.describe();
  EXPECT_THAT(reported, HasSubstr("strict_demo")) << "the error does not name the plugin\n" << r.describe();

  const ChildResult served = portcullis({"serve", "--config", file, "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(served.exited) << served.describe();
  EXPECT_EQ(served.exitCode, kExitConfig) << served.describe();
  EXPECT_THAT(lineWith(served.err, {"unknown key"}), HasSubstr(expected)) << served.describe();
  EXPECT_THAT(lineWith(served.err, {"unknown key"}), HasSubstr("strict_demo"))
      << "the error does not name the plugin\n" << served.describe();
}

TEST_F(CliFixtures, ConfigCheckListsEveryProblem) {
  const std::string file = writeFixture("configs/plugin_errors.yaml");
  const std::string text = readFile(file);
  const ChildResult r = portcullis({"config", "check", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exitCode, kExitConfig) << r.describe();
  EXPECT_THAT(lineWith(r.err, {file + ":", "plugins[0]", "unknown key"}), Not(::testing::IsEmpty())) << r.err;
  EXPECT_THAT(lineWith(r.err, {file + ":", "plugins[1]", "nowhere", "not found"}), Not(::testing::IsEmpty()))
      << r.err;
  EXPECT_THAT(lineWith(r.err, {file + ":", "plugins[2]", "old_abi", "was built for plugin ABI"}),
              Not(::testing::IsEmpty()))
      << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("plugins[3]"))) << "the good plugin was reported\n" << r.err;
  for (const auto& line : linesOf(r.err)) {
    EXPECT_TRUE(std::regex_search(line, std::regex("^" + escapeRegex(file) + R"(:[0-9]+: plugins\[[0-9]+\][^ ]*: .+)")))
        << "not FILE:LINE: PATH: message: " << line;
  }
}

TEST_F(CliFixtures, ConfigCheckOfAMissingFileExits78) {
  const ChildResult r = portcullis({"config", "check", (dir_.path() / "no_such.yaml").string()});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exitCode, kExitConfig) << r.describe();
  EXPECT_THAT(r.err, HasSubstr("no_such.yaml")) << r.describe();
}

TEST_F(CliFixtures, PluginsListShowsTheTable) {
  const std::string file = writeFixture("configs/good.yaml");
  const ChildResult r = portcullis({"plugins", "list", "--config", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exitCode, 0) << r.describe();
  const auto lines = linesOf(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.describe();
  EXPECT_TRUE(std::regex_search(lines[0], std::regex(R"(^NAME +KIND +LIBRARY +ABI +HEALTH +STATE$)"))) << lines[0];
  const std::string abi = R"( +[0-9]+\.[0-9]+ +- +ok$)";
  EXPECT_TRUE(std::regex_search(lines[1], std::regex("^demo +primitives +" + escapeRegex(pluginPath("demo")) + abi)))
      << lines[1];
  EXPECT_TRUE(std::regex_search(
      lines[2], std::regex("^pure_c +primitives +" + escapeRegex(pluginPath("fake_invoke_results")) + abi)))
      << lines[2];
  EXPECT_TRUE(std::regex_search(
      lines[3], std::regex("^connector +connector +" + escapeRegex(pluginPath("sdk_connector")) + abi)))
      << lines[3];
}

TEST_F(CliFixtures, PluginsListShowsWhatAConnectorReportsAboutItsBackend) {
  const std::string file =
      dir_.write("health.yaml", "plugins:\n  - {name: conn, kind: connector, library: " + pluginPath("sdk_connector") +
                                    ", config: {health: {status: down, detail: connection refused}}}\n");
  const ChildResult r = portcullis({"plugins", "list", "--config", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exitCode, 0) << r.describe();
  const auto lines = linesOf(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.describe();
  EXPECT_TRUE(std::regex_search(lines[1], std::regex(R"(^conn +connector +\S+ +[0-9]+\.[0-9]+ +down: connection refused +ok$)")))
      << lines[1];
}

TEST_F(CliFixtures, PluginsListExits78WhenOnePluginFails) {
  const std::string file = writeFixture("configs/plugin_errors.yaml");
  const ChildResult r = portcullis({"plugins", "list", "--config", file});
  ASSERT_TRUE(r.exited) << r.describe();
  EXPECT_EQ(r.exitCode, kExitConfig) << r.describe();
  const auto lines = linesOf(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.describe();
  EXPECT_THAT(lines[1], HasSubstr("unknown key"));
  EXPECT_THAT(lines[2], HasSubstr("not found"));
  EXPECT_THAT(lines[3], HasSubstr("was built for plugin ABI"));
  EXPECT_TRUE(std::regex_search(lines[4], std::regex(R"(^fine +primitives +\S+ +[0-9]+\.[0-9]+ +- +ok$)"))) << lines[4];
}

// ---------------------------------------------------------------------------
// serve with plugins that load: the server runs, answers, and stops cleanly.

class ServeRunning : public ::testing::Test {
 protected:
  // Starts `portcullis serve` and returns the port from its
  // "serving MCP at <url>" line.
  uint16_t start(const std::string& yamlText) {
    const std::string file = dir_.write("serve.yaml", yamlText);
    child_ = std::make_unique<ChildProcess>(
        PORTCULLIS_TEST_BINARY, std::vector<std::string>{"serve", "--config", file, "--listen", "127.0.0.1:0"});
    const auto line = child_->waitForLine("serving MCP at ", kBound);
    if (!line) {
      ADD_FAILURE() << "no \"serving MCP at\" line\n" << child_->finish(5s).describe();
      return 0;
    }
    const std::string url = line->substr(line->find("serving MCP at ") + 15);
    const uint16_t port = portOfUrl(url);
    EXPECT_NE(port, 0) << *line;
    EXPECT_THAT(url, ::testing::EndsWith("/mcp")) << *line;
    return port;
  }

  // SIGTERM, then the server must exit 0 within the bound.
  void stopCleanly() {
    child_->sendSignal(SIGTERM);
    const ChildResult r = child_->finish(kBound);
    EXPECT_FALSE(r.timedOut) << r.describe();
    EXPECT_TRUE(r.exited) << r.describe();
    EXPECT_EQ(r.exitCode, 0) << r.describe();
  }

  ScratchDir dir_;
  std::unique_ptr<ChildProcess> child_;  // killed by its destructor if a test fails early
};

TEST_F(ServeRunning, ServesTheDemoPluginsToolsOverHttp) {
  const uint16_t port = start(fixtureText("configs/good.yaml"));
  ASSERT_NE(port, 0);
  McpSession session(port);
  EXPECT_THAT(session.toolNames(), IsSupersetOf({"demo_echo", "fake_ok", "connector_ping"}));
  EXPECT_EQ(firstText(session.callTool("demo_echo", R"({"text":"served by the executable"})")),
            "served by the executable");
  EXPECT_EQ(firstText(session.callTool("connector_ping")), "pong");
  // The configured greeting reached the plugin through its config JSON.
  json::ObjectPtr params = json::parseObject(R"({"name":"demo_greeting","arguments":{"name":"Ada"}})");
  const json::ObjectPtr prompt = session.request("prompts/get", params);
  EXPECT_THAT(json::stringify(prompt), HasSubstr("Hello from the plugin ABI tests Please greet Ada"));
  stopCleanly();
}

TEST_F(ServeRunning, StartsDespitePluginsWithBrokenListsAndListsNothingForThem) {
  const uint16_t port = start(
      "logging:\n  level: error\n"
      "plugins:\n"
      "  - {name: demo, kind: primitives, library: " + pluginPath("demo") + "}\n"
      "  - {name: invalid_json, kind: primitives, library: " + pluginPath("fake_list_invalid_json") + "}\n"
      "  - {name: not_array, kind: primitives, library: " + pluginPath("fake_list_not_array") + "}\n");
  ASSERT_NE(port, 0);
  McpSession session(port);
  const auto tools = session.toolNames();
  EXPECT_THAT(tools, Contains("demo_echo"));
  EXPECT_THAT(tools, Not(Contains("fake_listed_broken")));
  EXPECT_THAT(tools, Not(Contains("fake_listed_object")));
  stopCleanly();
}

TEST_F(ServeRunning, AnInvalidInvokeResultIsAnInternalErrorAndTheServerKeepsRunning) {
  const uint16_t port = start(
      "logging:\n  level: critical\n"
      "plugins:\n"
      "  - {name: demo, kind: primitives, library: " + pluginPath("demo") + "}\n"
      "  - {name: garbage, kind: primitives, library: " + pluginPath("fake_invoke_results") + "}\n");
  ASSERT_NE(port, 0);
  McpSession session(port);
  const json::ObjectPtr reply = session.callTool("fake_invalid_json");
  ASSERT_TRUE(reply->has("error")) << json::stringify(reply);
  EXPECT_EQ(json::getInt(json::getObject(reply, "error"), "code").value_or(0), -32603) << json::stringify(reply);
  EXPECT_TRUE(child_->running());
  EXPECT_EQ(firstText(session.callTool("demo_echo", R"({"text":"alive"})")), "alive");
  stopCleanly();
}

}  // namespace
}  // namespace portcullis::testing
