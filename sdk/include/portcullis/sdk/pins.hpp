#pragma once
// Definition pinning for connectors: the first definition seen of each
// primitive is pinned (its hash kept in the plugin's store); a later
// definition with another hash is written to the audit log and, when the
// operator asked for it, hidden until `portcullis connectors approve` pins
// the new hash. The hash is the connector's business (SHA-256 of the
// definition as the upstream sent it, say); this class only compares.
//
// Store layout: pin_keys.hpp (read and written by `portcullis connectors` too).
// Without a store (the server has no database) pins live in memory: a
// change is logged, and a hidden primitive stays hidden until a restart.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "portcullis/sdk/call.hpp"
#include "portcullis/sdk/pin_keys.hpp"

namespace portcullis::sdk {

class DefinitionPins {
 public:
  // hideChanged: a changed definition is left out of the lists until approved.
  DefinitionPins(Host host, bool hideChanged) : host_(host), hideChanged_(hideChanged) {}

  // Whether the definition with this hash may be listed. kind is "tool",
  // "resource", "template" or "prompt"; name is what clients see.
  bool admit(const std::string& kind, const std::string& name, const std::string& hash) {
    std::lock_guard lock(mutex_);
    const std::optional<std::string> pinned = get(pinKey(kind, name));
    if (!pinned) {
      put(pinKey(kind, name), hash);
      return true;
    }
    const std::string pendingKeyText = pendingKey(kind, name);
    const std::optional<std::string> pending = get(pendingKeyText);
    if (*pinned == hash) {
      if (pending) remove(pendingKeyText);  // changed back to what was approved
      return true;
    }
    if (!pending || pendingHash(*pending) != hash) {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      put(pendingKeyText, Json{{"sha256", hash}, {"pinned", *pinned}, {"seen", now}}.dump());
      const std::string detail = "definition changed: sha256 " + shortHash(*pinned) + " is pinned, the upstream now sends " +
                                 shortHash(hash) + (hideChanged_ ? "; hidden until approved" : "; listed");
      host_.log(LogLevel::Warning, kind + " " + name + ": " + detail);
      host_.recordEvent(Json{{"event", "definition-changed"},
                             {"kind", kind},
                             {"name", name},
                             {"detail", detail},
                             {"outcome", hideChanged_ ? "hidden" : "listed"}});
    }
    return !hideChanged_;
  }

 private:
  static std::string shortHash(const std::string& hash) { return hash.substr(0, 12); }
  static std::string pendingHash(const std::string& pending) {
    const Json parsed = Json::parse(pending, nullptr, false);
    return parsed.is_object() ? parsed.value("sha256", std::string()) : std::string();
  }

  std::optional<std::string> get(const std::string& key) {
    if (auto value = host_.storeGet(key)) return value;
    auto it = memory_.find(key);
    return it == memory_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void put(const std::string& key, const std::string& value) {
    if (!host_.storePut(key, value)) memory_[key] = value;
  }
  void remove(const std::string& key) {
    host_.storeDelete(key);
    memory_.erase(key);
  }

  Host host_;
  bool hideChanged_;
  std::mutex mutex_;
  std::map<std::string, std::string> memory_;  // only without a store
};

}  // namespace portcullis::sdk
