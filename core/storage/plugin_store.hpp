#pragma once
// The key-value store each plugin gets (pc_host.store_*), one namespace per
// plugin instance, in the plugin_kv table.

#include <chrono>
#include <optional>
#include <string>

#include "core/storage/database.hpp"

namespace portcullis::storage {

class PluginStore {
 public:
  PluginStore(Database& db, std::string plugin) : db_(db), plugin_(std::move(plugin)) {}

  std::optional<std::string> get(const std::string& key);
  // ttl of zero or less keeps the value until it is deleted.
  void put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl);
  void remove(const std::string& key);

 private:
  Database& db_;
  std::string plugin_;
};

}  // namespace portcullis::storage
