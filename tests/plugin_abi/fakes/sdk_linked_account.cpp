// An SDK connector with a linked account (plugin ABI 1.3). With `account`
// in its config it declares it from its constructor through
// Host::declareAccount; a refusal propagates, so create fails with the
// host's reason. `account_bytes` (a list of byte values) instead goes to
// pc_host.declare_account as it is, for text the SDK would never produce
// (raw NUL bytes, invalid UTF-8).
//
// Tools (not plain `whoami`: the gateway's own tool has that name):
// `account_whoami` answers what Call::accountToken(refresh) says for the
// caller, `account_catalog` what Host::catalogAccountToken() says for
// requests no caller makes: "token:<token>" or "link:<url>", and the
// RpcError's message as a tool error.

#include <stdexcept>
#include <string>

#include <portcullis/sdk.hpp>

using namespace portcullis::sdk;

namespace {

Json answer(const AccountToken& token) {
  return textResult(token.status == AccountToken::Status::Ok ? "token:" + token.token : "link:" + token.linkUrl);
}

void declareRaw(const Host& host, const Json& bytes) {
  std::string text;
  for (const auto& byte : bytes) text += static_cast<char>(byte.get<unsigned char>());
  const pc_host* raw = host.raw();
  std::string error;
  pc_buffer out = detail::bufferFor(error);
  if (raw->declare_account(raw->opaque, detail::view(text), &out) != PC_OK) throw std::runtime_error(error);
}

class LinkedAccount : public PrimitiveProvider {
 public:
  LinkedAccount(const Json& config, Host host) : PrimitiveProvider(host) {
    if (config.contains("account")) this->host().declareAccount(config["account"]);
    if (config.contains("account_bytes")) declareRaw(this->host(), config["account_bytes"]);
    addTool({{"name", "account_whoami"},
             {"description", "The caller's token for the linked account, or where to link it."},
             {"inputSchema", {{"type", "object"}, {"properties", {{"refresh", {{"type", "boolean"}}}}}}}},
            [](const Json& args, Call& call) {
              try {
                return answer(call.accountToken(args.value("refresh", false)));
              } catch (const RpcError& e) {
                return errorResult(e.what());
              }
            });
    addTool({{"name", "account_catalog"}, {"description", "The linked account's token for requests no caller makes."}},
            [this](const Json&, Call&) {
              try {
                return answer(this->host().catalogAccountToken());
              } catch (const RpcError& e) {
                return errorResult(e.what());
              }
            });
  }
};

}  // namespace

PORTCULLIS_PLUGIN(LinkedAccount, PC_KIND_CONNECTOR, "sdk_linked_account", "0.0.1",
                  R"({"type": "object", "additionalProperties": false,
                     "properties": {"account": {}, "account_bytes": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}}}})")
