// The identity adapter (core/plugin_host/identity_adapter.hpp) against an
// identity plugin that misbehaves: exceptions stay inside the plugin and
// never reach the sign-in page, and only a well-formed "ok" with a user name
// signs anyone in.

#include <gtest/gtest.h>

#include "core/config/config.hpp"
#include "core/oauth/identity.hpp"
#include "core/plugin_host/plugin_host.hpp"
#include "tests/plugin_abi/abi_fixtures.hpp"

namespace portcullis::testing {
namespace {

namespace json = common::json;

class IdentityAdapterTest : public ::testing::Test {
 protected:
  std::shared_ptr<oauth::IdentityProvider> load(const std::string& mode) {
    const std::string yaml =
        "logging:\n  level: fatal\nplugins:\n  - name: odd\n    kind: identity\n    library: \"" +
        std::string(PORTCULLIS_MISBEHAVING_IDENTITY) + "\"\n    config: {mode: " + mode + "}\n";
    config_ = config::loadConfigText(yaml, "<adapter test>");
    host_ = std::make_unique<plugin_host::PluginHost>(config_.pluginDirs, nullptr);
    auto identity = host_->loadAll(config_).identity("odd");
    EXPECT_NE(identity, nullptr);
    return identity;
  }
  static oauth::Authentication signIn(oauth::IdentityProvider& p) {
    json::ObjectPtr f = json::makeObject();
    f->set("username", std::string("alice"));
    f->set("password", std::string("pw"));
    return p.authenticate(f);
  }
  config::Config config_;
  std::unique_ptr<plugin_host::PluginHost> host_;
};

TEST_F(IdentityAdapterTest, AWellBehavedAnswerSignsIn) {
  auto p = load("fine");
  ASSERT_TRUE(p);
  const auto r = signIn(*p);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.username, "alice");
  EXPECT_EQ(p->name(), "odd");
}

TEST_F(IdentityAdapterTest, ExceptionsBecomeAGenericRefusal) {
  auto p = load("throws");
  ASSERT_TRUE(p);
  const auto r = signIn(*p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message.find("hunter2"), std::string::npos)
      << "an internal error reached the page: " << r.message;
  EXPECT_FALSE(r.message.empty());
  const std::string form = p->loginForm(json::makeObject());
  EXPECT_EQ(form.find("internal detail"), std::string::npos) << form;
  EXPECT_FALSE(form.empty());
  EXPECT_THROW(p->admin(json::makeObject()), std::runtime_error);
}

TEST_F(IdentityAdapterTest, OkWithoutAUsableUserNameSignsNobodyIn) {
  for (const std::string mode :
       {"no_username", "number_username", "weird_status", "not_an_object"}) {
    auto p = load(mode);
    ASSERT_TRUE(p) << mode;
    const auto r = signIn(*p);
    EXPECT_FALSE(r.ok) << mode;
    EXPECT_TRUE(r.username.empty()) << mode;
    EXPECT_FALSE(r.message.empty()) << mode;
  }
}

TEST_F(IdentityAdapterTest, OutsizedAnswersAreHandled) {
  auto p = load("huge");
  ASSERT_TRUE(p);
  const auto r = signIn(*p);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(p->loginForm(json::makeObject()).empty());
}

TEST_F(IdentityAdapterTest, AdminRefusalsCarryThePluginsReason) {
  auto p = load("fine");
  ASSERT_TRUE(p);
  try {
    p->admin(json::makeObject());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("refused politely"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace portcullis::testing
