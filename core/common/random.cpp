#include "core/common/random.hpp"

#include <stdexcept>
#include <vector>

#include <openssl/rand.h>

#include "core/common/text.hpp"

namespace portcullis::common {

namespace {
std::string randomBytes(std::size_t bytes) {
  std::string buffer(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buffer.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("the system random number generator failed");
  }
  return buffer;
}
}  // namespace

std::string randomToken(std::size_t bytes) { return base64UrlEncode(randomBytes(bytes)); }

std::string randomHex(std::size_t bytes) {
  static const char* kHex = "0123456789abcdef";
  const std::string raw = randomBytes(bytes);
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

}  // namespace portcullis::common
