#include "core/audit/audit_log.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/common/log.hpp"

namespace portcullis::audit {

using storage::Value;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kColumns =
    "id, at, subject, username, client_id, api_token_id, method, kind, name, plugin, decision, "
    "rule, outcome, "
    "latency_us";
// One row of kColumns, in that order.
const std::string kInsert = std::string("INSERT INTO audit_events (") + kColumns +
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr int64_t kSweepChunk = 1000;

// Cuts `text` to kMaxFieldBytes, at a UTF-8 boundary, and says how much
// was cut.
void capField(std::string& text) {
  if (text.size() <= kMaxFieldBytes) return;
  const size_t original = text.size();
  size_t cut = kMaxFieldBytes - 32;  // room for the marker
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += "...[" + std::to_string(original - cut) + " more bytes]";
}

void capFields(mcp::AuditRecord& r) {
  for (std::string* field : {&r.subject, &r.username, &r.clientId, &r.apiTokenId, &r.method,
                             &r.kind, &r.name, &r.plugin, &r.decision, &r.rule, &r.outcome}) {
    capField(*field);
  }
}

AuditEvent eventFrom(const storage::Row& row) {
  AuditEvent e;
  e.id = row.integer(0);
  mcp::AuditRecord& r = e.record;
  r.at = row.integer(1);
  r.subject = row.text(2);
  r.username = row.text(3);
  r.clientId = row.text(4);
  r.apiTokenId = row.text(5);
  r.method = row.text(6);
  r.kind = row.text(7);
  r.name = row.text(8);
  r.plugin = row.text(9);
  r.decision = row.text(10);
  r.rule = row.text(11);
  r.outcome = row.text(12);
  r.latencyUs = row.integer(13);
  return e;
}

}  // namespace

AuditLog::AuditLog(storage::Database& db, AuditOptions options) : db_(db), options_(options) {
  if (options_.queueCapacity == 0) options_.queueCapacity = 1;
  if (options_.batchSize == 0) options_.batchSize = 1;
  if (options_.sweepInterval.count() <= 0) {
    options_.sweepInterval = std::clamp<std::chrono::milliseconds>(
        options_.retention / 4, std::chrono::minutes(1), std::chrono::hours(1));
  }
}

AuditLog::~AuditLog() { stop(); }

void AuditLog::start() {
  std::lock_guard lock(mutex_);
  if (running_ || stopped_) return;
  running_ = true;
  writer_ = std::thread([this] { run(); });
}

void AuditLog::stop() {
  bool drainHere = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    // Never started: what was queued is written on this thread.
    drainHere = !running_ && !queue_.empty();
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (drainHere) run();
  std::lock_guard lock(mutex_);
  running_ = false;
  drained_.notify_all();
}

void AuditLog::record(mcp::AuditRecord record) {
  capFields(record);
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || queue_.size() >= options_.queueCapacity) {
      ++counters_.dropped;
      ++unreportedDrops_;
      return;
    }
    queue_.push_back(std::move(record));
    ++counters_.queued;
    // The writer waits for the first decision, then for a full batch.
    wake = queue_.size() == 1 || queue_.size() == options_.batchSize;
  }
  if (wake) wake_.notify_one();
}

bool AuditLog::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const uint64_t target = counters_.queued;
  flushWanted_ = std::max(flushWanted_, target);
  wake_.notify_all();
  drained_.wait_for(lock, timeout, [&] { return done_ >= target || !running_; });
  return done_ >= target;
}

AuditCounters AuditLog::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void AuditLog::run() {
  auto nextSweep = Clock::now();
  std::vector<mcp::AuditRecord> batch;
  std::unique_lock lock(mutex_);
  while (true) {
    if (Clock::now() >= nextSweep) {
      lock.unlock();
      sweepNow();
      lock.lock();
      nextSweep = Clock::now() + options_.sweepInterval;
    }
    if (batch.empty() && !queue_.empty() && queue_.size() < options_.batchSize && !stopping_ &&
        done_ >= flushWanted_) {
      // Give other decisions a moment to share this transaction.
      const auto deadline = std::min(nextSweep, Clock::now() + options_.maxDelay);
      wake_.wait_until(lock, deadline, [&] {
        return stopping_ || queue_.size() >= options_.batchSize || done_ < flushWanted_;
      });
    }
    if (batch.empty()) {
      while (!queue_.empty() && batch.size() < options_.batchSize) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty()) {
      if (stopping_) break;
      lock.unlock();
      reportDrops(Clock::now(), false);
      lock.lock();
      auto until = nextSweep;
      if (unreportedDrops_ > 0) until = std::min(until, nextDropWarning_);
      wake_.wait_until(lock, until, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    lock.unlock();
    const bool written = writeBatch(batch);
    reportDrops(Clock::now(), false);
    lock.lock();
    if (written || stopping_) {
      if (written) {
        counters_.written += batch.size();
        ++counters_.batches;
      } else {
        counters_.lost += batch.size();
        common::logger("audit").error(
            "%z access decisions were not recorded: the database refused them", batch.size());
      }
      done_ += batch.size();
      batch.clear();
      drained_.notify_all();
    } else {
      // The same batch again a little later; meanwhile the queue fills and,
      // when full, drops.
      wake_.wait_for(lock, options_.retryDelay, [&] { return stopping_; });
    }
  }
  lock.unlock();
  reportDrops(Clock::now(), true);
}

bool AuditLog::writeBatch(const std::vector<mcp::AuditRecord>& batch) {
  const auto n = static_cast<int64_t>(batch.size());
  try {
    db_.write([&](storage::Connection& c) {
      // Raising the counter first holds its row until the commit (on
      // PostgreSQL too), so ids commit in increasing order.
      c.execute("UPDATE sequences SET last_value = last_value + ? WHERE name = 'audit_events'",
                {Value(n)});
      const storage::Rows last =
          c.query("SELECT last_value FROM sequences WHERE name = 'audit_events'");
      if (last.empty())
        throw storage::DatabaseError("the audit_events counter is missing from sequences");
      const int64_t firstId = last.front().integer(0) - n + 1;
      // One prepared statement for the batch, values bound without copies:
      // Poco::Data's bindings cost more than SQLite's insert (about 10 µs a
      // row against 2 µs; docs/adr/0008-bulk-inserts.md).
      c.insertRows(kInsert, batch.size(), [&](size_t i, storage::RowBinder& row) {
        const auto& r = batch[i];
        row.integer(firstId + static_cast<int64_t>(i)).integer(r.at);
        for (const std::string* text : {&r.subject, &r.username, &r.clientId, &r.apiTokenId, &r.method,
                                        &r.kind, &r.name, &r.plugin, &r.decision, &r.rule, &r.outcome}) {
          row.text(*text);
        }
        row.integer(r.latencyUs);
      });
    });
    return true;
  } catch (const storage::DatabaseError& e) {
    common::logger("audit").warning("cannot write %z access decisions to the audit log: %s",
                                    batch.size(), std::string(e.what()));
    return false;
  }
}

size_t AuditLog::sweep(int64_t nowMillis) {
  const int64_t cutoff = nowMillis - options_.retention.count();
  size_t removed = 0;
  // From the lowest id, in chunks, so that the write lock is never held for
  // long and no time index is needed: ids follow the order decisions were
  // recorded, so the old ones come first. A decision recorded out of time
  // order (a long call ending after a shorter one) goes with the first
  // newer one after it.
  while (true) {
    size_t changed = 0;
    db_.write([&](storage::Connection& c) {
      const storage::Rows oldest =
          c.query("SELECT id, at FROM audit_events ORDER BY id LIMIT ?", {Value(kSweepChunk)});
      std::optional<int64_t> lastOld;
      for (const auto& row : oldest) {
        if (row.integer(1) >= cutoff) break;
        lastOld = row.integer(0);
      }
      if (lastOld) changed = c.execute("DELETE FROM audit_events WHERE id <= ?", {Value(*lastOld)});
    });
    removed += changed;
    if (changed < static_cast<size_t>(kSweepChunk)) return removed;
  }
}

void AuditLog::sweepNow() {
  try {
    const size_t removed = sweep(storage::nowMillis());
    if (removed > 0) {
      common::logger("audit").information(
          "deleted %z access decisions older than the audit retention", removed);
    }
  } catch (const storage::DatabaseError& e) {
    common::logger("audit").warning("cannot delete old access decisions: %s",
                                    std::string(e.what()));
  }
}

void AuditLog::reportDrops(Clock::time_point now, bool force) {
  uint64_t drops = 0;
  uint64_t total = 0;
  {
    std::lock_guard lock(mutex_);
    if (unreportedDrops_ == 0 || (!force && now < nextDropWarning_)) return;
    drops = unreportedDrops_;
    total = counters_.dropped;
    unreportedDrops_ = 0;
    nextDropWarning_ = now + options_.dropWarningInterval;
  }
  common::logger("audit").warning(
      "the audit queue was full (audit.queue: %z): %Lu access decisions were not recorded (%Lu "
      "since start)",
      options_.queueCapacity, static_cast<Poco::UInt64>(drops), static_cast<Poco::UInt64>(total));
}

std::vector<AuditEvent> AuditLog::tail(const std::optional<std::string>& username, size_t limit,
                                       int64_t afterId) {
  const bool newest = afterId == kLatest;
  std::string sql = std::string("SELECT ") + kColumns + " FROM audit_events WHERE id > ?";
  storage::Params params{Value(std::max<int64_t>(afterId, 0))};
  if (username) {
    sql += " AND username = ?";
    params.emplace_back(*username);
  }
  sql += newest ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?";
  params.emplace_back(static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<AuditEvent> out;
  for (const auto& row : db_.query(sql, params)) out.push_back(eventFrom(row));
  if (newest) std::reverse(out.begin(), out.end());
  return out;
}

// ---- one line for people -------------------------------------------------------

namespace {

bool invisibleOrBidi(uint32_t cp) {
  return cp < 0xA0 || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

// The length of the valid UTF-8 sequence at text[i] (2 to 4 bytes) and its
// code point; 0 when there is none.
size_t utf8At(std::string_view text, size_t i, uint32_t& cp) {
  const auto lead = static_cast<unsigned char>(text[i]);
  size_t length = 0;
  uint32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1Fu, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0Fu, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

std::string shown(std::string_view value) {
  if (value.empty()) return "-";
  std::string out;
  bool quote = value == "-";
  char hex[16];
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      ++i;
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
        quote = true;
      } else if (c == '\n' || c == '\r' || c == '\t') {
        out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
        quote = true;
      } else if (c < 0x20 || c == 0x7F) {
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
        quote = true;
      } else {
        quote = quote || c == ' ';
        out += static_cast<char>(c);
      }
      continue;
    }
    uint32_t cp = 0;
    const size_t length = utf8At(value, i, cp);
    if (length == 0) {
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
      quote = true;
      ++i;
    } else if (invisibleOrBidi(cp)) {
      std::snprintf(hex, sizeof hex, "\\u{%x}", static_cast<unsigned>(cp));
      out += hex;
      quote = true;
      i += length;
    } else {
      out.append(value.substr(i, length));
      i += length;
    }
  }
  return quote ? "\"" + out + "\"" : out;
}

std::string utcTime(int64_t millis) {
  const auto seconds =
      static_cast<std::time_t>(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ",
                static_cast<int>(((millis % 1000) + 1000) % 1000));
  return text;
}

// The method a kind is used with, which the line leaves out.
const char* usualMethod(const std::string& kind) {
  if (kind == "tool") return "tools/call";
  if (kind == "resource" || kind == "template") return "resources/read";
  if (kind == "prompt") return "prompts/get";
  return nullptr;
}

}  // namespace

std::string formatEvent(const AuditEvent& event) {
  const mcp::AuditRecord& r = event.record;
  std::string line = utcTime(r.at) + " " + shown(r.decision);
  if (!r.username.empty() || r.subject.empty()) {
    line += " user=" + shown(r.username);
  } else {
    line += " subject=" + shown(r.subject);
  }
  line += " client=" + shown(r.clientId);
  const char* usual = usualMethod(r.kind);
  line += " " + (usual != nullptr ? r.kind : std::string("name")) + "=" + shown(r.name);
  if (usual == nullptr || r.method != usual) line += " method=" + shown(r.method);
  line += " plugin=" + shown(r.plugin) + " rule=" + shown(r.rule) + " outcome=" + shown(r.outcome);
  char latency[48];
  const int64_t us = std::max<int64_t>(r.latencyUs, 0);
  std::snprintf(latency, sizeof latency, " latency=%lld.%03lldms",
                static_cast<long long>(us / 1000), static_cast<long long>(us % 1000));
  return line + latency;
}

}  // namespace portcullis::audit
