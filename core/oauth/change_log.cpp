#include "core/oauth/change_log.hpp"

namespace portcullis::oauth {

using storage::Value;

void recordChange(storage::Connection& c, const std::string& kind, const std::string& ref) {
  // One row per (kind, ref), stamped with the latest change.
  const int64_t at = storage::nowMillis();
  if (c.execute("UPDATE change_log SET at = ? WHERE kind = ? AND ref = ?", {Value(at), Value(kind), Value(ref)}) == 0) {
    c.execute("INSERT INTO change_log (kind, ref, at) VALUES (?, ?, ?)", {Value(kind), Value(ref), Value(at)});
  }
  // This server applies its own changes as soon as they commit.
  c.announce();
}

std::vector<Change> changesSince(storage::Database& db, int64_t since) {
  std::vector<Change> out;
  for (const auto& row : db.query("SELECT kind, ref, at FROM change_log WHERE at >= ? ORDER BY at", {Value(since)})) {
    out.push_back({row.text(0), row.text(1), row.integer(2)});
  }
  return out;
}

}  // namespace portcullis::oauth
