#pragma once
// The key-value store each plugin gets (pc_host.store_*), one namespace per
// plugin instance, in the plugin_kv table.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/storage/database.hpp"

namespace portcullis::storage {

class PluginStore {
 public:
  PluginStore(Database& db, std::string plugin) : db_(db), plugin_(std::move(plugin)) {}

  std::optional<std::string> get(const std::string& key);
  // ttl of zero or less keeps the value until it is deleted.
  void put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl);
  void remove(const std::string& key);
  // The live keys that start with `prefix`, sorted.
  std::vector<std::string> keys(const std::string& prefix);
  // Several puts (kept until deleted) and removals in one transaction, with
  // `also` run inside it (to record a change for other processes, say).
  void apply(const std::vector<std::pair<std::string, std::string>>& puts, const std::vector<std::string>& removals,
             const std::function<void(Connection&)>& also = {});

 private:
  Database& db_;
  std::string plugin_;
};

}  // namespace portcullis::storage
