// The SDK's side of the boundary, driven through the C ABI alone: an SDK
// plugin is opened with dlopen and called exactly as any host would call it.
// Whatever goes wrong inside (a constructor that throws, text that is not
// JSON, an unknown tool or method), the answer is a status code and JSON
// text; no exception reaches the caller.

#include <dlfcn.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/common/json.hpp"
#include "portcullis/plugin_abi.h"
#include "tests/plugin_abi/abi_fixtures.hpp"

namespace portcullis::testing {
namespace {

using ::testing::HasSubstr;
namespace json = common::json;

void appendTo(void* opaque, const char* data, size_t size) { static_cast<std::string*>(opaque)->append(data, size); }

void ignoreLog(void*, int32_t, pc_string) {}
void ignoreListChanged(void*, uint32_t) {}
void ignoreResourceUpdated(void*, pc_string) {}

pc_string text(const std::string& s) { return pc_string{s.data(), s.size()}; }

class SdkBoundary : public ::testing::Test {
 protected:
  const pc_plugin* open(const std::string& target) {
    handle_ = dlopen(pluginPath(target).c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      ADD_FAILURE() << "dlopen: " << dlerror();
      return nullptr;
    }
    auto entry = reinterpret_cast<pc_entry_fn>(dlsym(handle_, PORTCULLIS_ENTRY_SYMBOL));
    if (entry == nullptr) {
      ADD_FAILURE() << "no entry symbol in " << target;
      return nullptr;
    }
    return entry();
  }

  // create(config); returns the status, fills instance and error.
  int32_t create(const pc_plugin* plugin, const std::string& config, void** instance, std::string& error) {
    pc_buffer buffer{&error, &appendTo};
    *instance = nullptr;
    int32_t status = PC_ERROR;
    EXPECT_NO_THROW(status = plugin->create(&host_, text(config), instance, &buffer));
    return status;
  }

  void TearDown() override {
    if (handle_ != nullptr) dlclose(handle_);
  }

  pc_host host_ = [] {
    pc_host h{};
    h.size = sizeof(pc_host);
    h.log = &ignoreLog;
    h.notify_list_changed = &ignoreListChanged;
    h.notify_resource_updated = &ignoreResourceUpdated;
    return h;
  }();
  void* handle_ = nullptr;
};

TEST_F(SdkBoundary, TheDescriptorCarriesMagicVersionAndSize) {
  const pc_plugin* plugin = open("sdk_throwing_ctor");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->magic, PORTCULLIS_ABI_MAGIC);
  EXPECT_EQ(plugin->abi_major, PORTCULLIS_ABI_MAJOR);
  EXPECT_EQ(plugin->abi_minor, PORTCULLIS_ABI_MINOR);
  EXPECT_EQ(plugin->size, sizeof(pc_plugin));
  EXPECT_EQ(plugin->kind, static_cast<uint32_t>(PC_KIND_PRIMITIVES));
  EXPECT_STREQ(plugin->name, "sdk_throwing_ctor");
  EXPECT_NO_THROW(json::parseObject(plugin->config_schema));
  ASSERT_NE(plugin->primitives, nullptr);
  EXPECT_EQ(plugin->primitives->size, sizeof(pc_primitives));
}

TEST_F(SdkBoundary, AConstructorExceptionBecomesPcErrorWithItsMessage) {
  const pc_plugin* plugin = open("sdk_throwing_ctor");
  ASSERT_NE(plugin, nullptr);
  void* instance = nullptr;
  std::string error;
  EXPECT_EQ(create(plugin, "{}", &instance, error), PC_ERROR);
  EXPECT_EQ(instance, nullptr);
  EXPECT_EQ(error, "sdk fake refuses to start: no credentials configured");

  error.clear();
  EXPECT_EQ(create(plugin, R"({"throw":"other"})", &instance, error), PC_ERROR);
  EXPECT_EQ(instance, nullptr);
  EXPECT_EQ(error, "unknown exception during create");
}

TEST_F(SdkBoundary, ConfigTextThatIsNotJsonIsAnErrorNotAnException) {
  const pc_plugin* plugin = open("sdk_connector");
  ASSERT_NE(plugin, nullptr);
  void* instance = nullptr;
  std::string error;
  EXPECT_EQ(create(plugin, "{\"unterminated\": ", &instance, error), PC_ERROR);
  EXPECT_EQ(instance, nullptr);
  EXPECT_FALSE(error.empty());
}

TEST_F(SdkBoundary, InvokeAnswersEveryBadRequestWithAJsonRpcError) {
  const pc_plugin* plugin = open("sdk_connector");
  ASSERT_NE(plugin, nullptr);
  void* instance = nullptr;
  std::string error;
  ASSERT_EQ(create(plugin, "{}", &instance, error), PC_OK) << error;
  ASSERT_NE(instance, nullptr);

  auto invoke = [&](const std::string& method, const std::string& params, std::string& out) {
    pc_buffer buffer{&out, &appendTo};
    int32_t status = PC_ERROR;
    EXPECT_NO_THROW(status = plugin->primitives->invoke(instance, nullptr, text(method), text(params), &buffer));
    return status;
  };
  auto codeOf = [](const std::string& out) {
    return json::getInt(json::parseObject(out), "code").value_or(0);
  };

  std::string out;
  EXPECT_EQ(invoke("tools/call", R"({"name":"connector_ping","arguments":{}})", out), PC_OK);
  EXPECT_THAT(out, HasSubstr("pong"));

  out.clear();
  EXPECT_EQ(invoke("tools/call", "{not json", out), PC_ERROR);
  EXPECT_EQ(codeOf(out), -32602) << out;

  out.clear();
  EXPECT_EQ(invoke("tools/call", R"({"name":"no_such_tool"})", out), PC_ERROR);
  EXPECT_EQ(codeOf(out), -32602) << out;
  EXPECT_THAT(out, HasSubstr("no_such_tool"));

  out.clear();
  EXPECT_EQ(invoke("no/such/method", "{}", out), PC_ERROR);
  EXPECT_EQ(codeOf(out), -32601) << out;

  // A list kind the plugin does not know is an empty list.
  out.clear();
  pc_buffer buffer{&out, &appendTo};
  EXPECT_EQ(plugin->primitives->list(instance, 0x40, &buffer), PC_OK);
  EXPECT_EQ(out, "[]");

  EXPECT_NO_THROW(plugin->destroy(instance));
}

}  // namespace
}  // namespace portcullis::testing
