#include "core/storage/plugin_store.hpp"

namespace portcullis::storage {

namespace {
int hexDigit(char c) { return c <= '9' ? c - '0' : c - 'A' + 10; }
}  // namespace

std::optional<std::string> PluginStore::get(const std::string& key) {
  // Read as hex: Poco's SQLite extractor stops text at the first NUL byte,
  // and plugins may store any bytes.
  const auto rows = db_.query(
      "SELECT hex(value) FROM plugin_kv WHERE plugin = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
      {Value(plugin_), Value(key), Value(nowMillis())});
  if (rows.empty()) return std::nullopt;
  const std::string hex = rows.front().text(0);
  std::string value(hex.size() / 2, '\0');
  for (size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<char>(hexDigit(hex[2 * i]) * 16 + hexDigit(hex[2 * i + 1]));
  }
  return value;
}

void PluginStore::put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
  const Value expires = ttl.count() > 0 ? Value(nowMillis() + ttl.count()) : Value();
  db_.write([&](Connection& c) {
    c.execute("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", {Value(plugin_), Value(key)});
    c.execute("INSERT INTO plugin_kv (plugin, key, value, expires_at) VALUES (?, ?, ?, ?)",
              {Value(plugin_), Value(key), Value(value), expires});
  });
}

std::vector<std::string> PluginStore::keys(const std::string& prefix) {
  // substr, not LIKE: a prefix may hold % and _.
  const auto rows = db_.query(
      "SELECT key FROM plugin_kv WHERE plugin = ? AND substr(key, 1, length(?)) = ? "
      "AND (expires_at IS NULL OR expires_at > ?) ORDER BY key",
      {Value(plugin_), Value(prefix), Value(prefix), Value(nowMillis())});
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.text(0));
  return out;
}

void PluginStore::apply(const std::vector<std::pair<std::string, std::string>>& puts,
                        const std::vector<std::string>& removals, const std::function<void(Connection&)>& also) {
  db_.write([&](Connection& c) {
    for (const auto& [key, value] : puts) {
      c.execute("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", {Value(plugin_), Value(key)});
      c.execute("INSERT INTO plugin_kv (plugin, key, value, expires_at) VALUES (?, ?, ?, ?)",
                {Value(plugin_), Value(key), Value(value), Value()});
    }
    for (const auto& key : removals) {
      c.execute("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", {Value(plugin_), Value(key)});
    }
    if (also) also(c);
  });
}

void PluginStore::remove(const std::string& key) {
  db_.execute("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", {Value(plugin_), Value(key)});
}

}  // namespace portcullis::storage
