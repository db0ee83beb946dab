#pragma once
// Hashing, MACs and authenticated encryption on OpenSSL, for secrets the
// server stores (token hashes) and keeps (signing keys, sealed values).

#include <optional>
#include <string>
#include <string_view>

namespace portcullis::common {

// SHA-256, as lowercase hex (how token and secret hashes are stored).
std::string sha256Hex(std::string_view data);
// Raw SHA-256 digest (32 bytes).
std::string sha256(std::string_view data);
std::string hmacSha256(std::string_view key, std::string_view data);
// Constant-time comparison of equal-length secrets.
bool constantTimeEquals(std::string_view a, std::string_view b);

// AES-256-GCM with a 32-byte key. The result is base64url of
// nonce || ciphertext || tag; `context` is bound as associated data.
std::string seal(std::string_view key, std::string_view plaintext, std::string_view context);
std::optional<std::string> unseal(std::string_view key, std::string_view sealed, std::string_view context);

}  // namespace portcullis::common
