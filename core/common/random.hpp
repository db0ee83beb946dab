#pragma once
// Identifiers and secrets from the operating system's CSPRNG (via OpenSSL).

#include <cstddef>
#include <string>

namespace portcullis::common {

// `bytes` random bytes, base64url-encoded without padding.
std::string randomToken(std::size_t bytes = 16);
// `bytes` random bytes as lowercase hex.
std::string randomHex(std::size_t bytes = 16);

}  // namespace portcullis::common
