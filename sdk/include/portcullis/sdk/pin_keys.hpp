#pragma once
// Where definition pins live in a connector's key-value store, shared by
// DefinitionPins (pins.hpp) and `portcullis connectors pins|approve`:
//   pin:<kind>:<name>      the approved hash
//   pending:<kind>:<name>  {"sha256": new hash, "pinned": approved hash, "seen": ms}

#include <string>

namespace portcullis::sdk {

inline constexpr const char* kPinPrefix = "pin:";
inline constexpr const char* kPendingPrefix = "pending:";

inline std::string pinKey(const std::string& kind, const std::string& name) {
  return kPinPrefix + kind + ":" + name;
}
inline std::string pendingKey(const std::string& kind, const std::string& name) {
  return kPendingPrefix + kind + ":" + name;
}

}  // namespace portcullis::sdk
