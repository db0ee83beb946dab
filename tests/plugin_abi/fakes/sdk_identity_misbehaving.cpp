// An SDK identity plugin that misbehaves as its config says, to check what
// the host makes of it: exceptions, "ok" answers without a usable user name,
// unexpected statuses and outsized answers.

#include <stdexcept>

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

class Misbehaving : public IdentityProvider {
 public:
  Misbehaving(const Json& config, Host host)
      : IdentityProvider(host), mode_(config.value("mode", std::string())) {}

  std::string loginForm(const Json&) override {
    if (mode_ == "throws") throw std::runtime_error("login form exploded: internal detail");
    if (mode_ == "huge") return std::string(4 * 1024 * 1024, 'h');
    return "<input name=\"username\">";
  }
  Json authenticate(const Json& fields) override {
    if (mode_ == "throws") throw std::runtime_error("database password is hunter2");
    if (mode_ == "no_username") return Json{{"status", "ok"}};
    if (mode_ == "number_username") return Json{{"status", "ok"}, {"username", 5}};
    if (mode_ == "weird_status") return Json{{"status", "OK"}, {"username", "alice"}};
    if (mode_ == "not_an_object") return Json::array({"ok", "alice"});
    if (mode_ == "huge")
      return Json{{"status", "denied"}, {"message", std::string(1024 * 1024, 'm')}};
    return Json{{"status", "ok"}, {"username", fields.value("username", std::string())}};
  }
  Json admin(const Json&) override {
    if (mode_ == "throws") throw std::logic_error("admin exploded");
    throw RpcError(codes::kInvalidParams, "refused politely");
  }

 private:
  std::string mode_;
};

}  // namespace

PORTCULLIS_IDENTITY_PLUGIN(Misbehaving, "sdk_identity_misbehaving", "0.0.1",
                           R"({"type": "object", "additionalProperties": false,
                               "properties": {"mode": {"type": "string"}}})")
