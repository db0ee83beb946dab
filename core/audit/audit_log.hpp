#pragma once
// The audit log: every access decision the dispatcher reports (allow, deny,
// step-up; who, through which client, what, which rule, how it ended, how
// long it took) is kept in the `audit_events` table for a configured time.
//
// record() runs on the request path and never waits for the database: it
// puts the decision on a bounded queue, and drops (and counts) it when the
// queue is full. One writer thread drains the queue in batches, one write
// transaction each, and sweeps what is older than the retention. A decision
// waits up to maxDelay for others to share its transaction: one commit (and
// one sync to disk) for many calls is what keeps the log cheap under load.
// See docs/audit.md.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/mcp/access.hpp"
#include "core/storage/database.hpp"

namespace portcullis::audit {

struct AuditOptions {
  std::chrono::milliseconds retention{90LL * 86'400'000};
  size_t queueCapacity = 10'000;
  size_t batchSize = 256;  // decisions a write transaction at most
  // How long a decision may wait for a fuller batch; flush() and stop()
  // write at once.
  std::chrono::milliseconds maxDelay{100};
  // How often the writer deletes what is older than the retention; zero:
  // a quarter of the retention, between one minute and one hour.
  std::chrono::milliseconds sweepInterval{0};
  // At most one warning about dropped decisions this often.
  std::chrono::milliseconds dropWarningInterval{60'000};
  // After a failed write, the batch is tried again this much later.
  std::chrono::milliseconds retryDelay{1'000};
};

// One stored decision.
struct AuditEvent {
  int64_t id = 0;  // increases with every decision written
  mcp::AuditRecord record;
};

struct AuditCounters {
  uint64_t queued = 0;   // accepted by record()
  uint64_t written = 0;  // stored
  uint64_t dropped = 0;  // refused by record(): the queue was full, or the log stopped
  uint64_t lost = 0;     // accepted, but the database refused them at stop
  uint64_t batches = 0;  // write transactions that stored decisions
};

// Longer text fields are cut to this many bytes (at a UTF-8 boundary) and
// marked, so that one request cannot make the queue hold megabytes.
inline constexpr size_t kMaxFieldBytes = 4096;

class AuditLog : public mcp::AuditSink {
 public:
  AuditLog(storage::Database& db, AuditOptions options = {});
  ~AuditLog() override;
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Starts the writer thread, which sweeps once at once.
  void start();
  // Writes what is queued, then ends the writer. Later records are dropped.
  void stop();

  void record(mcp::AuditRecord record) override;

  // Waits until every decision accepted before the call is written (or
  // lost), at most `timeout`. False when the bound passed first or the
  // writer is not running.
  bool flush(std::chrono::milliseconds timeout);

  // Deletes the decisions older than the retention, as of `nowMillis`;
  // returns how many. The writer calls it periodically.
  size_t sweep(int64_t nowMillis);

  AuditCounters counters() const;

  // Stored decisions, oldest first, only `username`'s when given: the first
  // `limit` whose id is above afterId (call again with the last id returned
  // to follow the log without gaps), or with afterId kLatest the last
  // `limit` recorded.
  static constexpr int64_t kLatest = -1;
  std::vector<AuditEvent> tail(const std::optional<std::string>& username, size_t limit,
                               int64_t afterId);

 private:
  void run();
  bool writeBatch(const std::vector<mcp::AuditRecord>& batch);
  void sweepNow();
  // Logs the drops not yet reported once the warning interval allows;
  // `force` at stop. Called by the writer without the lock held.
  void reportDrops(std::chrono::steady_clock::time_point now, bool force);

  storage::Database& db_;
  AuditOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: work or stop
  std::condition_variable drained_;  // flush(): progress
  std::deque<mcp::AuditRecord> queue_;
  bool running_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  AuditCounters counters_;
  uint64_t done_ = 0;  // accepted decisions written or lost, in queue order
  uint64_t flushWanted_ = 0;  // flush(): write what is queued now, up to this many accepted
  uint64_t unreportedDrops_ = 0;
  std::chrono::steady_clock::time_point nextDropWarning_{};
  std::thread writer_;
};

// One line for people: time (UTC), decision, user (or subject), client,
// kind=name, plugin, rule, outcome, latency. Values with spaces, quotes,
// control or bidirectional characters are quoted and escaped, so a hostile
// name cannot forge a line or drive the terminal.
std::string formatEvent(const AuditEvent& event);

}  // namespace portcullis::audit
