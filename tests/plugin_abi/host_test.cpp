// PluginHost::loadAll and PluginHost::inspect against real shared libraries:
// the demo plugin, pure-C plugins written against plugin_abi.h alone, SDK
// plugins, and one fake for every way a declared plugin can be wrong.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/common/error.hpp"
#include "core/config/config.hpp"
#include "core/mcp/provider.hpp"
#include "core/plugin_host/plugin_host.hpp"
#include "portcullis/plugin_abi.h"
#include "tests/plugin_abi/abi_fixtures.hpp"

namespace portcullis::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace json = common::json;

std::vector<std::string> namesIn(const json::ArrayPtr& array) {
  std::vector<std::string> names;
  if (!array) return names;
  for (const auto& item : *array) {
    if (auto name = json::getString(json::asObject(item), "name")) names.push_back(*name);
  }
  return names;
}

// Loads every plugin of `yaml`; the host is built the way the server builds it.
std::vector<std::shared_ptr<mcp::PrimitiveProvider>> loadAll(const config::Config& config) {
  plugin_host::PluginHost host(config.pluginDirs, nullptr);
  return host.loadAll(config).providers;
}

// ---------------------------------------------------------------------------
// One fake per failure: loadAll throws a ConfigError that names the plugin,
// the YAML path, the line of that YAML node and the reason.

class HostFailure : public ::testing::TestWithParam<FailureCase> {
 protected:
  ScratchDir dir_;
};

TEST_P(HostFailure, LoadAllReportsNamePathLineAndReason) {
  const FailureCase& c = GetParam();
  const CaseConfig yaml = writeCaseConfig(c, dir_);
  const config::Config config = config::loadConfigFile(yaml.file);
  ASSERT_EQ(config.plugins.size(), 2u);
  try {
    loadAll(config);
    FAIL() << "loadAll accepted the broken plugin " << c.pluginName();
  } catch (const common::ConfigError& e) {
    EXPECT_EQ(e.file(), yaml.file);
    ASSERT_EQ(e.issues().size(), 1u) << e.what();
    const common::ConfigIssue& issue = e.issues().front();
    EXPECT_EQ(issue.path, yaml.expectedPath) << e.what();
    EXPECT_EQ(issue.line, yaml.expectedLine) << e.what() << "\n" << yaml.text;
    EXPECT_THAT(issue.message, HasSubstr(c.reason)) << e.what();
    EXPECT_THAT(issue.message, HasSubstr(c.pluginName()))
        << "the issue does not name the plugin: " << e.what();
    // what() is what `serve` prints: FILE:LINE: PATH: message.
    EXPECT_THAT(std::string(e.what()),
                StartsWith(yaml.file + ":" + std::to_string(yaml.expectedLine) + ": " + yaml.expectedPath + ": "));
  }
}

TEST_P(HostFailure, InspectReportsTheReasonWithoutCreating) {
  const FailureCase& c = GetParam();
  const CaseConfig yaml = writeCaseConfig(c, dir_);
  const config::Config config = config::loadConfigFile(yaml.file);
  plugin_host::PluginHost host(config.pluginDirs, nullptr);

  const plugin_host::PluginReport good = host.inspect(config.plugins[0], config);
  EXPECT_EQ(good.state, "ok");

  const plugin_host::PluginReport report = host.inspect(config.plugins[1], config);
  EXPECT_EQ(report.name, c.pluginName());
  EXPECT_EQ(report.kind, c.kind);
  if (c.seenWithoutCreating) {
    EXPECT_THAT(report.state, StartsWith("error: ")) << report.state;
    EXPECT_THAT(report.state, HasSubstr(c.reason));
    EXPECT_THAT(report.state, HasSubstr(yaml.expectedPath));
  } else {
    // The library and its config are fine; only creating it fails.
    EXPECT_EQ(report.state, "ok");
    EXPECT_EQ(report.abiVersion, plugin_host::PluginHost::abiVersion());
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFailure, HostFailure, ::testing::ValuesIn(failureCases()),
                         [](const auto& info) { return info.param.id; });

// ---------------------------------------------------------------------------

class HostLoading : public ::testing::Test {
 protected:
  config::Config configFrom(const std::string& yaml) {
    return config::loadConfigFile(dir_.write("config.yaml", yaml));
  }
  ScratchDir dir_;
};

TEST_F(HostLoading, EveryBrokenPluginIsReportedInDeclaredOrder) {
  const config::Config config = configFrom(
      "plugins:\n"
      "  - name: first_missing\n"
      "    kind: primitives\n"
      "    library: " + (dir_.path() / "absent.so").string() + "\n"
      "  - name: demo\n"
      "    kind: primitives\n"
      "    library: " + pluginPath("demo") + "\n"
      "  - name: second_major\n"
      "    kind: primitives\n"
      "    library: " + pluginPath("fake_wrong_major") + "\n"
      "  - name: third_throws\n"
      "    kind: primitives\n"
      "    library: " + pluginPath("sdk_throwing_ctor") + "\n");
  try {
    loadAll(config);
    FAIL() << "loadAll accepted three broken plugins";
  } catch (const common::ConfigError& e) {
    ASSERT_EQ(e.issues().size(), 3u) << e.what();
    EXPECT_EQ(e.issues()[0].path, "plugins[0].library");
    EXPECT_EQ(e.issues()[0].line, 4);
    EXPECT_THAT(e.issues()[0].message, HasSubstr("first_missing"));
    EXPECT_EQ(e.issues()[1].path, "plugins[2].library");
    EXPECT_EQ(e.issues()[1].line, 10);
    EXPECT_THAT(e.issues()[1].message, HasSubstr("second_major"));
    EXPECT_EQ(e.issues()[2].path, "plugins[3]");
    EXPECT_EQ(e.issues()[2].line, 11);
    EXPECT_THAT(e.issues()[2].message, HasSubstr("third_throws"));
  }
}

TEST_F(HostLoading, DemoLoadsByNameFromThePluginDirectories) {
  const config::Config config = configFrom(
      "plugin_dirs: [" + std::string(PORTCULLIS_TEST_PLUGIN_DIR) + "]\n"
      "plugins:\n"
      "  - {name: demo, kind: primitives, library: demo, config: {greeting: hi}}\n");
  auto providers = loadAll(config);
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_EQ(providers[0]->name(), "demo");
  const auto tools = namesIn(providers[0]->list(mcp::ListKind::Tools));
  EXPECT_THAT(tools, ::testing::UnorderedElementsAre("demo_echo", "demo_get_time", "demo_get_help"));
  EXPECT_THAT(namesIn(providers[0]->list(mcp::ListKind::Prompts)), ::testing::ElementsAre("demo_greeting"));
}

TEST_F(HostLoading, InspectDescribesAGoodPlugin) {
  const config::Config config = configFrom(
      "plugin_dirs: [" + std::string(PORTCULLIS_TEST_PLUGIN_DIR) + "]\n"
      "plugins:\n"
      "  - {name: demo, kind: primitives, library: demo}\n");
  plugin_host::PluginHost host(config.pluginDirs, nullptr);
  const plugin_host::PluginReport report = host.inspect(config.plugins[0], config);
  EXPECT_EQ(report.state, "ok");
  EXPECT_EQ(report.name, "demo");
  EXPECT_EQ(report.kind, "primitives");
  EXPECT_EQ(std::filesystem::weakly_canonical(report.library), std::filesystem::weakly_canonical(pluginPath("demo")));
  EXPECT_EQ(report.abiVersion, std::to_string(PORTCULLIS_ABI_MAJOR) + "." + std::to_string(PORTCULLIS_ABI_MINOR));
  EXPECT_EQ(report.pluginVersion, "1.0.0");
  EXPECT_EQ(plugin_host::PluginHost::abiVersion(), report.abiVersion);
}

TEST_F(HostLoading, APureCPluginLoads) {
  const config::Config config = configFrom(
      "plugins:\n"
      "  - {name: pure_c, kind: primitives, library: " + pluginPath("fake_invoke_results") + "}\n");
  auto providers = loadAll(config);
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_EQ(providers[0]->name(), "pure_c");
  EXPECT_THAT(namesIn(providers[0]->list(mcp::ListKind::Tools)),
              ::testing::ElementsAre("fake_ok", "fake_invalid_json", "fake_not_object", "fake_bad_error"));
}

TEST_F(HostLoading, AConnectorDeclaredAsConnectorLoads) {
  const config::Config config = configFrom(
      "plugins:\n"
      "  - {name: conn, kind: connector, library: " + pluginPath("sdk_connector") + "}\n");
  auto providers = loadAll(config);
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_THAT(namesIn(providers[0]->list(mcp::ListKind::Tools)), ::testing::ElementsAre("connector_ping", "connector_assertion"));
}

TEST_F(HostLoading, ListsThatAreNotJsonArraysFailAsExceptionsNotCrashes) {
  // Loading succeeds: lists are only asked for once the catalog is built. The
  // adapter then reports the broken list as an exception, which the catalog
  // turns into an empty list (see gateway_test.cpp).
  const config::Config config = configFrom(
      "plugins:\n"
      "  - {name: invalid_json, kind: primitives, library: " + pluginPath("fake_list_invalid_json") + "}\n"
      "  - {name: not_array, kind: primitives, library: " + pluginPath("fake_list_not_array") + "}\n");
  auto providers = loadAll(config);
  ASSERT_EQ(providers.size(), 2u);
  for (const auto& provider : providers) {
    for (auto kind : {mcp::ListKind::Tools, mcp::ListKind::Resources, mcp::ListKind::ResourceTemplates,
                      mcp::ListKind::Prompts}) {
      EXPECT_THROW(provider->list(kind), std::exception) << provider->name();
    }
  }
}

TEST_F(HostLoading, TheConfigIsValidatedBeforeThePluginIsCreated) {
  // The demo's schema admits "greeting" only: a valid value loads, an
  // unknown key is refused at its path and line.
  const config::Config good = configFrom(
      "plugins:\n"
      "  - name: demo\n"
      "    kind: primitives\n"
      "    library: " + pluginPath("demo") + "\n"
      "    config:\n"
      "      greeting: \"Ahoy \\u00e9\\\"quoted\\\"\"\n");
  auto providers = loadAll(good);
  ASSERT_EQ(providers.size(), 1u);  // what the plugin makes of it: gateway_test.cpp

  const config::Config bad = configFrom(
      "plugins:\n"
      "  - name: demo\n"
      "    kind: primitives\n"
      "    library: " + pluginPath("demo") + "\n"
      "    config:\n"
      "      greeting: hi\n"
      "      nested: {deeper: 1}\n");
  try {
    loadAll(bad);
    FAIL() << "an unknown config key was accepted";
  } catch (const common::ConfigError& e) {
    ASSERT_EQ(e.issues().size(), 1u) << e.what();
    EXPECT_EQ(e.issues()[0].path, "plugins[0].config.nested");
    EXPECT_EQ(e.issues()[0].line, 7);
    EXPECT_THAT(e.issues()[0].message, HasSubstr("unknown key"));
  }
}

}  // namespace
}  // namespace portcullis::testing
