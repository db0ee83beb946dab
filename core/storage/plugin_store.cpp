#include "core/storage/plugin_store.hpp"

namespace portcullis::storage {

std::optional<std::string> PluginStore::get(const std::string& key) {
  const auto rows = db_.query(
      "SELECT value FROM plugin_kv WHERE plugin = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
      {Value(plugin_), Value(key), Value(nowMillis())});
  if (rows.empty()) return std::nullopt;
  return rows.front().text(0);
}

void PluginStore::put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
  const Value expires = ttl.count() > 0 ? Value(nowMillis() + ttl.count()) : Value();
  db_.write([&](Connection& c) {
    c.execute("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", {Value(plugin_), Value(key)});
    c.execute("INSERT INTO plugin_kv (plugin, key, value, expires_at) VALUES (?, ?, ?, ?)",
              {Value(plugin_), Value(key), Value(value), expires});
  });
}

void PluginStore::remove(const std::string& key) {
  db_.execute("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", {Value(plugin_), Value(key)});
}

}  // namespace portcullis::storage
