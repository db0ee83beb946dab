// The audit log (core/audit/audit_log.hpp): the writer's batches, stop()
// writing what is queued, a full queue dropping and counting (and warning at
// most once an interval), the retention sweep, ids that only grow, reading
// back with tail(), hostile values kept intact, and the one-line format of
// `portcullis audit tail`.

#include "core/audit/audit_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include "core/common/log.hpp"
#include "core/storage/schema.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace portcullis::audit {
namespace {

using namespace std::chrono_literals;
using storage::Value;
using storage::testing::TempDir;

// A bound on waiting for the writer, not a performance expectation.
constexpr auto kBound = 30s;
constexpr int64_t kDay = 86'400'000;

mcp::AuditRecord decision(const std::string& name, const std::string& user = "alice",
                          int64_t at = 0, const std::string& verdict = "allow") {
  mcp::AuditRecord r;
  r.at = at != 0 ? at : storage::nowMillis();
  r.subject = "sub-" + user;
  r.username = user;
  r.clientId = "client-1";
  r.apiTokenId = "";
  r.method = "tools/call";
  r.kind = "tool";
  r.name = name;
  r.plugin = "demo";
  r.decision = verdict;
  r.rule = verdict == "allow" ? "members-use-tools" : "(default deny)";
  r.outcome = verdict == "allow" ? "ok" : "";
  r.latencyUs = 1234;
  return r;
}

// prefix + i (written so, GCC 12 warns about numbered("literal", i)).
std::string numbered(std::string prefix, int i) {
  prefix += std::to_string(i);
  return prefix;
}

std::vector<std::string> names(const std::vector<AuditEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.record.name);
  return out;
}

// Every field of a record, to compare records whole.
std::vector<std::string> fields(const mcp::AuditRecord& r) {
  return {std::to_string(r.at),
          r.subject,
          r.username,
          r.clientId,
          r.apiTokenId,
          r.method,
          r.kind,
          r.name,
          r.plugin,
          r.decision,
          r.rule,
          r.outcome,
          std::to_string(r.latencyUs)};
}

int64_t rows(storage::Database& db) {
  return db.query("SELECT COUNT(*) FROM audit_events").front().integer(0);
}

class AuditLogTest : public ::testing::Test {
 protected:
  TempDir dir;
  storage::Database db{storage::StorageOptions{dir.file("audit.db")}};
};

// ---- schema --------------------------------------------------------------------

TEST_F(AuditLogTest, TheMigrationMakesTheTableItsIndexesAndItsCounter) {
  std::vector<std::string> indexes;
  for (const auto& r :
       db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
    indexes.push_back(r.text(0));
  }
  // Only what the reading needs: every index costs an insert per call.
  EXPECT_EQ(indexes, (std::vector<std::string>{"audit_events_username_id"}));
  const auto counter = db.query("SELECT last_value FROM sequences WHERE name = 'audit_events'");
  ASSERT_EQ(counter.size(), 1u);
  EXPECT_EQ(counter.front().integer(0), 0);
}

// ---- the writer ----------------------------------------------------------------

TEST_F(AuditLogTest, TheWriterStoresWhatIsQueuedInBatchesOfOneTransactionEach) {
  AuditOptions options;
  options.batchSize = 10;
  AuditLog log(db, options);
  for (int i = 0; i < 25; ++i) log.record(decision(numbered("tool-", i)));
  log.start();
  ASSERT_TRUE(log.flush(kBound));
  const AuditCounters c = log.counters();
  EXPECT_EQ(c.queued, 25u);
  EXPECT_EQ(c.written, 25u);
  EXPECT_EQ(c.batches, 3u);  // 10 + 10 + 5
  EXPECT_EQ(c.dropped, 0u);
  const auto events = log.tail(std::nullopt, 100, 0);
  ASSERT_EQ(events.size(), 25u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].id, static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].record.name, numbered("tool-", i));
  }
  EXPECT_EQ(
      db.query("SELECT last_value FROM sequences WHERE name = 'audit_events'").front().integer(0),
      25);
}

TEST_F(AuditLogTest, DecisionsArrivingTogetherShareOneTransaction) {
  AuditOptions options;
  options.maxDelay = std::chrono::hours(1);  // only flush() or a full batch writes
  options.batchSize = 8;
  AuditLog log(db, options);
  log.start();
  for (int i = 0; i < 5; ++i) log.record(decision(numbered("early-", i)));
  ASSERT_TRUE(log.flush(kBound));
  EXPECT_EQ(log.counters().batches, 1u);
  EXPECT_EQ(rows(db), 5);
  // A full batch is written without waiting for the delay or a flush.
  for (int i = 0; i < 8; ++i) log.record(decision(numbered("full-", i)));
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (rows(db) < 13 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(rows(db), 13);
  EXPECT_EQ(log.counters().batches, 2u);
}

TEST_F(AuditLogTest, ADecisionIsWrittenWithinTheDelayWithoutAFlush) {
  AuditOptions options;
  options.maxDelay = 10ms;
  AuditLog log(db, options);
  log.start();
  log.record(decision("alone"));
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (rows(db) < 1 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(rows(db), 1);
}

TEST_F(AuditLogTest, DecisionsRecordedWhileRunningAreWrittenFromManyThreads) {
  AuditLog log(db);
  log.start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 50; ++i) log.record(decision(numbered("t", t) + numbered("-", i)));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(log.flush(kBound));
  EXPECT_EQ(rows(db), 200);
  EXPECT_EQ(log.counters().written, 200u);
}

TEST_F(AuditLogTest, StopWritesEverythingQueued) {
  AuditOptions options;
  options.batchSize = 7;
  AuditLog log(db, options);
  log.start();
  for (int i = 0; i < 500; ++i) log.record(decision(numbered("n", i)));
  log.stop();
  EXPECT_EQ(rows(db), 500);
  EXPECT_EQ(log.counters().written, 500u);
  EXPECT_EQ(log.counters().lost, 0u);
}

TEST_F(AuditLogTest, StopWithoutStartWritesWhatWasQueued) {
  AuditLog log(db);
  log.record(decision("a"));
  log.record(decision("b"));
  log.stop();
  EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)), (std::vector<std::string>{"a", "b"}));
}

TEST_F(AuditLogTest, DecisionsAfterStopAreDroppedAndCounted) {
  AuditLog log(db);
  log.start();
  log.stop();
  log.record(decision("late"));
  EXPECT_EQ(log.counters().dropped, 1u);
  EXPECT_EQ(rows(db), 0);
}

TEST_F(AuditLogTest, AFullQueueDropsAndCountsTheRest) {
  AuditOptions options;
  options.queueCapacity = 3;
  AuditLog log(db, options);
  for (int i = 0; i < 5; ++i) log.record(decision(numbered("d", i)));
  EXPECT_EQ(log.counters().queued, 3u);
  EXPECT_EQ(log.counters().dropped, 2u);
  log.stop();
  EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)), (std::vector<std::string>{"d0", "d1", "d2"}));
}

// Collects what is logged to one logger.
class CapturingChannel : public Poco::Channel {
 public:
  void log(const Poco::Message& message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(message.getText());
  }
  std::vector<std::string> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

class CapturedLog {
 public:
  explicit CapturedLog(Poco::Logger& logger)
      : logger_(logger),
        channel_(new CapturingChannel),
        previous_(logger.getChannel()),
        level_(logger.getLevel()) {
    logger_.setChannel(channel_);
    logger_.setLevel(Poco::Message::PRIO_WARNING);
  }
  ~CapturedLog() {
    logger_.setChannel(previous_);
    logger_.setLevel(level_);
  }
  std::vector<std::string> messages() const { return channel_->messages(); }

 private:
  Poco::Logger& logger_;
  Poco::AutoPtr<CapturingChannel> channel_;
  Poco::Channel* previous_;
  int level_;
};

TEST_F(AuditLogTest, DropsAreReportedInOneWarningAtMostOnceAnInterval) {
  CapturedLog captured(common::logger("audit"));
  AuditOptions options;
  options.queueCapacity = 2;
  options.batchSize = 1;
  options.dropWarningInterval = std::chrono::hours(1);
  AuditLog log(db, options);
  for (int i = 0; i < 4; ++i) log.record(decision(numbered("first-", i)));
  log.start();
  ASSERT_TRUE(log.flush(kBound));
  // The writer reports after its batch; flush may return just before.
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (captured.messages().empty() && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  auto messages = captured.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("2 access decisions were not recorded"), std::string::npos)
      << messages[0];
  EXPECT_NE(messages[0].find("audit.queue: 2"), std::string::npos) << messages[0];

  // A second burst while the writer waits for the database: no second
  // warning within the interval.
  std::promise<void> release;
  std::promise<void> holding;
  std::thread blocker([&] {
    db.write([&](storage::Connection&) {
      holding.set_value();
      release.get_future().wait();
    });
  });
  holding.get_future().wait();
  const uint64_t before = log.counters().dropped;
  // The writer holds at most one batch (one decision) and the queue two.
  for (int i = 0; i < 6; ++i) log.record(decision(numbered("second-", i)));
  EXPECT_GE(log.counters().dropped - before, 3u);
  release.set_value();
  blocker.join();
  ASSERT_TRUE(log.flush(kBound));
  EXPECT_EQ(captured.messages().size(), 1u);

  // At stop, what was not reported yet is.
  log.stop();
  messages = captured.messages();
  ASSERT_EQ(messages.size(), 2u);
  const uint64_t second = log.counters().dropped - 2;
  EXPECT_NE(messages[1].find(std::to_string(second) + " access decisions were not recorded"),
            std::string::npos)
      << messages[1];
}

TEST_F(AuditLogTest, AFailedWriteIsTriedAgainAndCountedAsLostOnlyAtStop) {
  std::string createTable;
  for (const auto& m : storage::migrations()) {
    for (const auto& sql : m.statements) {
      if (sql.find("CREATE TABLE audit_events") != std::string::npos) createTable = sql;
    }
  }
  ASSERT_FALSE(createTable.empty());
  AuditOptions options;
  options.retryDelay = 10ms;
  {
    db.execute("DROP TABLE audit_events");
    AuditLog log(db, options);
    log.record(decision("kept"));
    log.start();
    db.execute(createTable);  // before or after the first attempt: the decision gets in
    ASSERT_TRUE(log.flush(kBound));
    EXPECT_EQ(log.counters().written, 1u);
    EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)), (std::vector<std::string>{"kept"}));
  }
  db.execute("DROP TABLE audit_events");
  AuditLog log(db, options);
  log.record(decision("lost"));
  log.start();
  log.stop();
  EXPECT_EQ(log.counters().lost, 1u);
  EXPECT_EQ(log.counters().written, 0u);
}

// ---- retention -------------------------------------------------------------------

// Retention tests: a log keeping decisions for `days`, and decisions
// written through a log that never starts (stop() writes its queue).
class AuditRetentionTest : public AuditLogTest {
 protected:
  AuditOptions keepingDays(int64_t days) {
    AuditOptions options;
    options.retention = std::chrono::milliseconds(days * kDay);
    return options;
  }
  void store(const std::vector<mcp::AuditRecord>& records) {
    AuditLog writer(db, keepingDays(1));
    for (const auto& r : records) writer.record(r);
    writer.stop();
  }
  // `n` decisions taken `days` ago.
  static std::vector<mcp::AuditRecord> aged(int n, int64_t days, const std::string& name = "old") {
    return std::vector<mcp::AuditRecord>(
        n, decision(name, "alice", storage::nowMillis() - days * kDay));
  }
  const int64_t now = storage::nowMillis();
};

TEST_F(AuditRetentionTest, TheSweepDeletesOnlyWhatIsOlderThanTheRetention) {
  store({decision("old-1", "alice", now - 31 * kDay), decision("old-2", "bob", now - 30 * kDay - 1),
         decision("boundary", "alice", now - 30 * kDay), decision("recent", "bob", now - 29 * kDay),
         decision("now", "alice", now)});
  AuditLog log(db, keepingDays(30));
  EXPECT_EQ(log.sweep(now), 2u);
  EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)),
            (std::vector<std::string>{"boundary", "recent", "now"}));
  EXPECT_EQ(log.sweep(now), 0u);
}

TEST_F(AuditRetentionTest, ADecisionRecordedOutOfTimeOrderGoesWithTheNextNewerOne) {
  store({decision("old", "alice", now - 40 * kDay), decision("kept", "bob", now - 10 * kDay),
         decision("long-call", "alice", now - 31 * kDay), decision("now", "alice", now)});
  AuditLog log(db, keepingDays(30));
  EXPECT_EQ(log.sweep(now), 1u);
  EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)),
            (std::vector<std::string>{"kept", "long-call", "now"}));
  EXPECT_EQ(log.sweep(now + 21 * kDay), 2u);  // "kept" expired: the long call goes with it
  EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)), (std::vector<std::string>{"now"}));
}

TEST_F(AuditRetentionTest, TheSweepDeletesManyRowsInChunks) {
  auto records = aged(2500, 2);
  records.push_back(decision("new", "alice", now));
  store(records);
  AuditLog log(db, keepingDays(1));
  EXPECT_EQ(log.sweep(now), 2500u);
  EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)), (std::vector<std::string>{"new"}));
}

TEST_F(AuditRetentionTest, TheWriterSweepsWhenItStarts) {
  store(aged(1, 2));
  ASSERT_EQ(rows(db), 1);
  AuditLog log(db, keepingDays(1));
  log.record(decision("new"));
  log.start();  // the first thing the writer does is the sweep, then the queue
  ASSERT_TRUE(log.flush(kBound));
  EXPECT_EQ(names(log.tail(std::nullopt, 10, 0)), (std::vector<std::string>{"new"}));
}

TEST_F(AuditRetentionTest, IdsKeepGrowingAfterTheSweepEmptiedTheTable) {
  store(aged(3, 2));
  AuditLog log(db, keepingDays(1));
  EXPECT_EQ(log.sweep(now), 3u);
  ASSERT_EQ(rows(db), 0);
  store({decision("a"), decision("b")});
  const auto events = log.tail(std::nullopt, 10, 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, 4);
  EXPECT_EQ(events[1].id, 5);
}

// ---- reading -------------------------------------------------------------------------

TEST_F(AuditLogTest, TailFiltersByUserAndFollowsAfterAnIdWithoutGaps) {
  AuditLog log(db);
  for (int i = 0; i < 10; ++i) log.record(decision(numbered("n", i), i % 2 == 0 ? "alice" : "bob"));
  log.stop();
  EXPECT_EQ(names(log.tail("alice", 2, AuditLog::kLatest)), (std::vector<std::string>{"n6", "n8"}));
  EXPECT_EQ(names(log.tail("bob", 100, AuditLog::kLatest)),
            (std::vector<std::string>{"n1", "n3", "n5", "n7", "n9"}));
  EXPECT_TRUE(log.tail("carol", 10, AuditLog::kLatest).empty());

  // Following: the first `limit` after an id, then on from the last one.
  auto page = log.tail(std::nullopt, 4, 0);
  EXPECT_EQ(names(page), (std::vector<std::string>{"n0", "n1", "n2", "n3"}));
  page = log.tail(std::nullopt, 4, page.back().id);
  EXPECT_EQ(names(page), (std::vector<std::string>{"n4", "n5", "n6", "n7"}));
  page = log.tail("alice", 4, page.back().id);
  EXPECT_EQ(names(page), (std::vector<std::string>{"n8"}));
  EXPECT_TRUE(log.tail(std::nullopt, 4, 10).empty());
}

TEST_F(AuditLogTest, TheLatestAreTheLastRecordedOldestFirst) {
  AuditLog log(db);
  const int64_t now = storage::nowMillis();
  // A long call (early start) is recorded when it ends, after shorter ones.
  log.record(decision("first", "alice", now - 1000));
  log.record(decision("second", "bob", now));
  log.record(decision("long-call", "alice", now - 5000));
  log.stop();
  EXPECT_EQ(names(log.tail(std::nullopt, 2, AuditLog::kLatest)),
            (std::vector<std::string>{"second", "long-call"}));
  EXPECT_EQ(names(log.tail(std::nullopt, 10, AuditLog::kLatest)),
            (std::vector<std::string>{"first", "second", "long-call"}));
  EXPECT_EQ(names(log.tail("alice", 1, AuditLog::kLatest)), (std::vector<std::string>{"long-call"}));
}

TEST_F(AuditLogTest, HostileValuesAreStoredAndReadBackIntact) {
  mcp::AuditRecord r = decision("");
  r.name = std::string(3000, 'x') + "\"'; DROP TABLE audit_events; --";
  r.username = "o'brien \"the\" \\admin\\";
  r.subject = "line1\nline2\r\tend\x01\x1b[31mred\x7f";
  r.clientId = "https://client.example/?a=1&b='2'";
  r.apiTokenId =
      "tok_\xe2\x80\xae"
      "evil";  // U+202E, right-to-left override
  r.method = "resources/read";
  r.kind = "resource";
  r.plugin = "\xf0\x9f\x94\x91-plugin";  // an emoji
  r.rule = "rule with  spaces";
  r.outcome = "error";
  r.decision = "allow";
  r.latencyUs = 9'007'199'254'740'993;  // above 2^53
  r.at = 1'800'000'000'123;

  AuditLog log(db);
  log.record(r);
  log.stop();
  const auto events = log.tail(std::nullopt, 10, 0);
  ASSERT_EQ(events.size(), 1u);
  const mcp::AuditRecord& back = events.front().record;
  EXPECT_EQ(fields(back), fields(r));
  EXPECT_EQ(log.tail(r.username, 10, AuditLog::kLatest).size(), 1u);
}

TEST_F(AuditLogTest, AHugeValueIsCutAtACharacterBoundaryAndMarked) {
  std::string name;
  for (int i = 0; i < 50'000; ++i) name += "\xc3\xa9";  // é, two bytes
  AuditLog log(db);
  log.record(decision(name));
  log.stop();
  const auto events = log.tail(std::nullopt, 1, 0);
  ASSERT_EQ(events.size(), 1u);
  const std::string& back = events.front().record.name;
  EXPECT_LE(back.size(), kMaxFieldBytes);
  const size_t marker = back.find("...[");
  ASSERT_NE(marker, std::string::npos) << back.substr(back.size() - 40);
  EXPECT_EQ(marker % 2, 0u);  // whole characters only
  EXPECT_EQ(back.substr(0, marker), name.substr(0, marker));
  EXPECT_EQ(back.substr(marker), "...[" + std::to_string(name.size() - marker) + " more bytes]");
}

// ---- the line of `portcullis audit tail` ----------------------------------------------

AuditEvent event(mcp::AuditRecord record) {
  AuditEvent e;
  e.id = 1;
  e.record = std::move(record);
  return e;
}

TEST(AuditFormat, AnAllowedCall) {
  mcp::AuditRecord r = decision("demo_echo");
  r.at = 1'800'000'000'123;  // 2027-01-15T08:00:00.123Z
  r.latencyUs = 1'234'567;
  EXPECT_EQ(formatEvent(event(r)),
            "2027-01-15T08:00:00.123Z allow user=alice client=client-1 tool=demo_echo plugin=demo "
            "rule=members-use-tools outcome=ok latency=1234.567ms");
}

TEST(AuditFormat, ARefusalWithoutAUserShowsTheSubjectAndTheUnusualMethod) {
  mcp::AuditRecord r = decision("file:///etc/passwd", "", 1'800'000'000'000, "deny");
  r.subject = "client:ops-bot";
  r.method = "resources/subscribe";
  r.kind = "resource";
  r.plugin = "";
  r.latencyUs = 5;
  EXPECT_EQ(
      formatEvent(event(r)),
      "2027-01-15T08:00:00.000Z deny subject=client:ops-bot client=client-1 "
      "resource=file:///etc/passwd "
      "method=resources/subscribe plugin=- rule=\"(default deny)\" outcome=- latency=0.005ms");
}

TEST(AuditFormat, HostileValuesCannotForgeALineOrDriveTheTerminal) {
  mcp::AuditRecord r =
      decision("a b\"c\\d\ne\x1b[2Jf\xe2\x80\xaeg\xffh\xc2\x9bi", "mallory", 1'800'000'000'000);
  const std::string line = formatEvent(event(r));
  EXPECT_NE(line.find(R"(tool="a b\"c\\d\ne\x1b[2Jf\u{202e}g\xffh\u{9b}i")"), std::string::npos)
      << line;
  for (char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << line;
  // A value that is just "-" is told apart from an empty one.
  r.name = "-";
  EXPECT_NE(formatEvent(event(r)).find(" tool=\"-\" "), std::string::npos);
  // UTF-8 text that is not hostile stays as it is.
  r.name = "caf\xc3\xa9";
  EXPECT_NE(formatEvent(event(r)).find(" tool=caf\xc3\xa9 "), std::string::npos);
}

}  // namespace
}  // namespace portcullis::audit
