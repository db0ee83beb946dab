#include "core/mcp/request_state.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/common/random.hpp"
#include "core/common/text.hpp"

namespace portcullis::mcp {

namespace json = common::json;

namespace {
constexpr const char* kPrefix = "pcs1.";

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

RequestStateSealer::RequestStateSealer() : key_(common::randomToken(32)) {}

std::string RequestStateSealer::mac(const std::string& data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string RequestStateSealer::seal(const json::ObjectPtr& payload, std::chrono::seconds ttl) const {
  json::ObjectPtr envelope = json::makeObject();
  envelope->set("exp", nowSeconds() + ttl.count());
  envelope->set("p", payload);
  const std::string body = common::base64UrlEncode(json::stringify(envelope));
  return kPrefix + body + "." + common::base64UrlEncode(mac(body));
}

bool RequestStateSealer::looksSealed(const std::string& token) {
  return common::startsWith(token, kPrefix);
}

json::ObjectPtr RequestStateSealer::open(const std::string& token) const {
  if (!looksSealed(token)) return {};
  const std::string rest = token.substr(std::string(kPrefix).size());
  const size_t dot = rest.find('.');
  if (dot == std::string::npos) return {};
  const std::string body = rest.substr(0, dot);
  const auto signature = common::base64UrlDecode(rest.substr(dot + 1));
  if (!signature) return {};
  const std::string expected = mac(body);
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return {};
  }
  const auto decoded = common::base64UrlDecode(body);
  if (!decoded) return {};
  try {
    json::ObjectPtr envelope = json::parseObject(*decoded);
    if (json::getInt(envelope, "exp").value_or(0) < nowSeconds()) return {};
    return json::getObject(envelope, "p");
  } catch (const json::ParseError&) {
    return {};
  }
}

}  // namespace portcullis::mcp
