// The database (core/storage/database.hpp): opening and migrating a fresh
// file, re-opening, the schema version, write transactions that roll back,
// readers beside the single writer, two handles on one file (the CLI and the
// server), and clear errors for files that are not databases.

#include "core/storage/database.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/storage/schema.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace portcullis::storage {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

int latestVersion() { return migrations().back().version; }

std::set<std::string> tables(Database& db) {
  std::set<std::string> out;
  for (const auto& row : db.query("SELECT name FROM sqlite_master WHERE type = 'table'"))
    out.insert(row.text(0));
  return out;
}

int64_t count(Database& db, const std::string& table) {
  return db.query("SELECT COUNT(*) FROM " + table).front().integer(0);
}

void insertUser(Connection& c, const std::string& id) {
  c.execute(
      "INSERT INTO users (id, username, role, provider, created_at) VALUES (?, ?, 'member', "
      "'test', ?)",
      {Value(id), Value("user-" + id), Value(nowMillis())});
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// ---- opening and migrating ---------------------------------------------------

TEST(DatabaseOpen, CreatesTheFileAndItsDirectoriesAndMigratesToTheLatestVersion) {
  TempDir dir;
  const std::string path = dir.file("nested/deeper/portcullis.db");
  Database db(StorageOptions{path});
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(db.schemaVersion(), latestVersion());
  const auto names = tables(db);
  for (const char* table :
       {"schema_version", "users", "clients", "grants", "auth_codes", "refresh_tokens", "consents",
        "api_tokens", "signing_keys", "change_log", "plugin_kv", "setup_tokens"}) {
    EXPECT_EQ(names.count(table), 1u) << "missing table " << table;
  }
  // One row per applied migration.
  EXPECT_EQ(count(db, "schema_version"), static_cast<int64_t>(migrations().size()));
}

TEST(DatabaseOpen, MigrationsAreNumberedInIncreasingOrder) {
  int previous = 0;
  for (const auto& m : migrations()) {
    EXPECT_GT(m.version, previous) << m.description;
    EXPECT_FALSE(m.statements.empty()) << m.description;
    previous = m.version;
  }
}

TEST(DatabaseOpen, UsesWriteAheadLogging) {
  TempDir dir;
  Database db(StorageOptions{dir.file("wal.db")});
  EXPECT_EQ(db.query("PRAGMA journal_mode").front().text(0), "wal");
}

TEST(DatabaseOpen, ReopeningKeepsTheDataAndAppliesNoMigrationTwice) {
  TempDir dir;
  const std::string path = dir.file("reopen.db");
  {
    Database db(StorageOptions{path});
    db.write([](Connection& c) { insertUser(c, "u1"); });
  }
  Database again(StorageOptions{path});
  EXPECT_EQ(again.schemaVersion(), latestVersion());
  EXPECT_EQ(count(again, "schema_version"), static_cast<int64_t>(migrations().size()));
  const auto rows = again.query("SELECT username FROM users WHERE id = ?", {Value("u1")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), "user-u1");
}

TEST(DatabaseOpen, ADatabaseFromANewerServerIsRefusedClearly) {
  TempDir dir;
  const std::string path = dir.file("newer.db");
  {
    Database db(StorageOptions{path});
    db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
               {Value(static_cast<int64_t>(latestVersion() + 7)), Value(nowMillis())});
  }
  try {
    Database db(StorageOptions{path});
    FAIL() << "a database with a newer schema was opened";
  } catch (const DatabaseError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(std::to_string(latestVersion() + 7)), std::string::npos) << what;
    EXPECT_NE(what.find(path), std::string::npos) << what;
  }
}

// ---- files that are not databases -----------------------------------------------

TEST(DatabaseOpen, AFileThatIsNotADatabaseGivesADatabaseErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::string text;
  for (int i = 0; i < 200; ++i) text += "this is a text file, not a database. ";
  writeFile(path, text);
  try {
    Database db(StorageOptions{path});
    FAIL() << "a text file was opened as a database";
  } catch (const DatabaseError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("not a database"), std::string::npos) << what;
  }
}

TEST(DatabaseOpen, ACorruptDatabaseGivesADatabaseError) {
  TempDir dir;
  const std::string path = dir.file("corrupt.db");
  {
    Database db(StorageOptions{path});
    db.write([](Connection& c) {
      for (int i = 0; i < 200; ++i) insertUser(c, "u" + std::to_string(i));
    });
    // Fold the WAL into the main file so the damage below hits real pages.
    db.query("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  // Keep the 100-byte header, overwrite the rest of the first pages.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    const std::string garbage(16 * 1024, '\xA5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  // Either opening or the first use fails, and always as a DatabaseError.
  try {
    Database db(StorageOptions{path});
    (void)db.schemaVersion();
    (void)db.query("SELECT COUNT(*) FROM users");
    db.write([](Connection& c) { insertUser(c, "after"); });
    FAIL() << "a corrupt database was used without an error";
  } catch (const DatabaseError& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
  }
}

TEST(DatabaseOpen, ADirectoryAtThePathGivesADatabaseError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "is-a-dir.db");
  EXPECT_THROW(Database(StorageOptions{dir.file("is-a-dir.db")}), DatabaseError);
}

TEST(DatabaseOpen, AParentThatIsAFileGivesADatabaseError) {
  TempDir dir;
  writeFile(dir.file("plain"), "x");
  try {
    Database db(StorageOptions{dir.file("plain/sub/db.sqlite")});
    FAIL() << "opened a database under a regular file";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("plain"), std::string::npos) << e.what();
  }
}

// ---- statements, parameters and rows ---------------------------------------------

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<Database>(StorageOptions{dir_.file("test.db")});
    db_->execute("CREATE TABLE t (k TEXT PRIMARY KEY, s TEXT, i BIGINT, d DOUBLE PRECISION)");
  }
  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, ParametersRoundTripEveryType) {
  const int64_t big = (int64_t{1} << 62) + 12345;
  db_->execute("INSERT INTO t (k, s, i, d) VALUES (?, ?, ?, ?)",
               {Value("a"), Value(std::string("it's \"quoted\"; DROP TABLE t; --")), Value(big),
                Value(2.5)});
  db_->execute("INSERT INTO t (k, s, i, d) VALUES (?, ?, ?, ?)",
               {Value("b"), Value(), Value(int64_t{-7}), Value()});
  db_->execute("INSERT INTO t (k, i) VALUES (?, ?)", {Value("c"), Value(true)});

  auto rows = db_->query("SELECT s, i, d FROM t WHERE k = ?", {Value("a")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), "it's \"quoted\"; DROP TABLE t; --");
  EXPECT_EQ(rows[0].integer(1), big);
  EXPECT_FALSE(rows[0].isNull(2));

  rows = db_->query("SELECT s, i, d FROM t WHERE k = ?", {Value("b")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].isNull(0));
  EXPECT_EQ(rows[0].text(0), "");
  EXPECT_EQ(rows[0].optionalText(0), std::nullopt);
  EXPECT_EQ(rows[0].integer(1), -7);
  EXPECT_TRUE(rows[0].isNull(2));
  EXPECT_EQ(rows[0].optionalInteger(2), std::nullopt);

  rows = db_->query("SELECT i FROM t WHERE k = ?", {Value("c")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].integer(0), 1);
}

// ---- many rows through one prepared statement ------------------------------------

TEST_F(DatabaseTest, InsertRowsBindsEachRowWithoutCopyingAndRoundTripsEveryType) {
  const std::vector<std::string> keys{"a", "b", std::string("c\0d", 3)};
  const std::string hostile = "it's \"quoted\"; DROP TABLE t; --";
  const int64_t big = (int64_t{1} << 62) + 12345;
  size_t inserted = 0;
  db_->write([&](Connection& c) {
    inserted = c.insertRows("INSERT INTO t (k, s, i) VALUES (?, ?, ?)", keys.size(),
                            [&](size_t i, RowBinder& row) {
                              row.text(keys[i]);
                              if (i == 1) {
                                row.null();
                              } else {
                                row.text(hostile);
                              }
                              row.integer(i == 2 ? -big : big + static_cast<int64_t>(i));
                            });
  });
  EXPECT_EQ(inserted, 3u);
  const auto rows = db_->query("SELECT length(CAST(k AS BLOB)), s, i FROM t ORDER BY i");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].integer(0), 3);  // the bytes after a NUL are kept
  EXPECT_EQ(rows[0].text(1), hostile);
  EXPECT_EQ(rows[0].integer(2), -big);
  EXPECT_EQ(rows[1].text(1), hostile);
  EXPECT_EQ(rows[1].integer(2), big);
  EXPECT_EQ(db_->query("SELECT k FROM t WHERE i = ?", {Value(big + 1)}).front().text(0), "b");
  EXPECT_TRUE(rows[2].isNull(1));
  EXPECT_EQ(db_->query("SELECT COUNT(*) FROM t").front().integer(0), 3);
}

TEST_F(DatabaseTest, InsertRowsOfNoRowsPreparesNothing) {
  db_->write([&](Connection& c) {
    EXPECT_EQ(c.insertRows("not even SQL", 0, [](size_t, RowBinder&) { FAIL(); }), 0u);
  });
}

TEST_F(DatabaseTest, InsertRowsRefusesARowWithTooFewOrTooManyValuesAndRollsBack) {
  const std::string sql = "INSERT INTO t (k, i) VALUES (?, ?)";
  for (const int values : {1, 3}) {
    try {
      db_->write([&](Connection& c) {
        c.insertRows(sql, 2, [&](size_t i, RowBinder& row) {
          row.text(i == 0 ? "first" : "second");
          // The second row binds the wrong number of values: it must not
          // reuse the first row's.
          if (i == 0 || values == 3) row.integer(1);
          if (i == 1 && values == 3) row.integer(2);
        });
      });
      ADD_FAILURE() << values << " values were accepted";
    } catch (const DatabaseError& e) {
      EXPECT_NE(std::string(e.what()).find("INSERT INTO t"), std::string::npos) << e.what();
    }
    EXPECT_EQ(db_->query("SELECT COUNT(*) FROM t").front().integer(0), 0) << values;
  }
}

TEST_F(DatabaseTest, InsertRowsReportsBadSqlAndAConstraintFailureAndRollsBack) {
  EXPECT_THROW(db_->write([&](Connection& c) {
                 c.insertRows("INSERT INTO missing (k) VALUES (?)", 1, [](size_t, RowBinder& row) { row.text("x"); });
               }),
               DatabaseError);
  try {
    db_->write([&](Connection& c) {
      c.insertRows("INSERT INTO t (k) VALUES (?)", 3, [](size_t i, RowBinder& row) { row.text(i == 2 ? "a" : i == 0 ? "a" : "b"); });
    });
    ADD_FAILURE() << "a duplicate primary key was accepted";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("UNIQUE"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db_->query("SELECT COUNT(*) FROM t").front().integer(0), 0);
}

TEST_F(DatabaseTest, ExecuteCountsTheRowsItChanged) {
  for (const char* k : {"a", "b", "c"})
    db_->execute("INSERT INTO t (k, i) VALUES (?, 1)", {Value(k)});
  EXPECT_EQ(db_->execute("UPDATE t SET i = 2 WHERE i = 1"), 3u);
  EXPECT_EQ(db_->execute("UPDATE t SET i = 3 WHERE k = ?", {Value("nope")}), 0u);
  EXPECT_EQ(db_->execute("DELETE FROM t WHERE k = ?", {Value("a")}), 1u);
}

TEST_F(DatabaseTest, BadSqlIsADatabaseErrorQuotingTheStatement) {
  try {
    db_->query("SELECT nothing FROM nowhere");
    FAIL();
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db_->execute("INSERT INTO missing_table VALUES (1)"), DatabaseError);
  // A constraint violation too.
  db_->execute("INSERT INTO t (k) VALUES ('dup')");
  EXPECT_THROW(db_->execute("INSERT INTO t (k) VALUES ('dup')"), DatabaseError);
}

// ---- write transactions ---------------------------------------------------------------

TEST_F(DatabaseTest, AWriteThatThrowsRollsBackEverythingAndRethrows) {
  struct Boom : std::runtime_error {
    Boom() : std::runtime_error("boom") {}
  };
  EXPECT_THROW(db_->write([](Connection& c) {
    c.execute("INSERT INTO t (k) VALUES ('x')");
    c.execute("INSERT INTO t (k) VALUES ('y')");
    throw Boom();
  }),
               Boom);
  EXPECT_EQ(count(*db_, "t"), 0);
  // The writer is usable afterwards, and its next transaction commits.
  db_->write([](Connection& c) { c.execute("INSERT INTO t (k) VALUES ('z')"); });
  EXPECT_EQ(count(*db_, "t"), 1);
}

TEST_F(DatabaseTest, AFailedStatementRollsBackTheStatementsBeforeIt) {
  EXPECT_THROW(db_->write([](Connection& c) {
    c.execute("INSERT INTO t (k) VALUES ('first')");
    c.execute("INSERT INTO t (k) VALUES ('first')");  // primary key violation
  }),
               DatabaseError);
  EXPECT_EQ(count(*db_, "t"), 0);
}

TEST_F(DatabaseTest, ANonStandardExceptionAlsoRollsBack) {
  EXPECT_THROW(db_->write([](Connection& c) {
    c.execute("INSERT INTO t (k) VALUES ('q')");
    throw 42;
  }),
               int);
  EXPECT_EQ(count(*db_, "t"), 0);
}

TEST_F(DatabaseTest, ReadsInsideAWriteSeeItsOwnUncommittedRows) {
  db_->write([](Connection& c) {
    c.execute("INSERT INTO t (k) VALUES ('mine')");
    EXPECT_EQ(c.query("SELECT COUNT(*) FROM t").front().integer(0), 1);
  });
}

// ---- readers beside the writer -----------------------------------------------------------

TEST_F(DatabaseTest, ReadersAreNotBlockedByAnOpenWriteAndSeeOnlyCommittedRows) {
  db_->execute("INSERT INTO t (k) VALUES ('before')");
  db_->write([&](Connection& c) {
    c.execute("INSERT INTO t (k) VALUES ('during')");
    auto reader = std::async(std::launch::async, [&] { return count(*db_, "t"); });
    // Bounded: a reader blocked by the writer fails here instead of hanging.
    ASSERT_EQ(reader.wait_for(20s), std::future_status::ready) << "a reader waited for the writer";
    EXPECT_EQ(reader.get(), 1) << "a reader saw an uncommitted row";
  });
  EXPECT_EQ(count(*db_, "t"), 2);
}

TEST(DatabaseConcurrency, MoreConcurrentReadersThanPooledConnectionsAllSucceed) {
  TempDir dir;
  StorageOptions options{dir.file("readers.db")};
  options.readers = 2;
  Database db(options);
  db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)");
  db.execute("INSERT INTO t (k) VALUES ('a')");
  constexpr int kThreads = 8;
  constexpr int kQueries = 300;
  std::atomic<int> errors{0};
  std::string firstError;
  std::mutex errorMutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kQueries; ++i) {
        try {
          if (db.query("SELECT k FROM t").size() != 1) ++errors;
        } catch (const std::exception& e) {
          std::lock_guard lock(errorMutex);
          if (errors++ == 0) firstError = e.what();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0) << firstError;
}

TEST(DatabaseConcurrency, ReadersNeverSeeHalfATransaction) {
  TempDir dir;
  Database db(StorageOptions{dir.file("atomic.db"), "NORMAL"});
  db.execute("CREATE TABLE pairs (id BIGINT PRIMARY KEY, grp BIGINT NOT NULL)");
  constexpr int kTransactions = 150;
  std::atomic<bool> done{false};
  std::atomic<int> oddSeen{0};
  std::atomic<int> failures{0};
  std::string firstError;
  std::mutex errorMutex;
  auto fail = [&](const std::exception& e) {
    std::lock_guard lock(errorMutex);
    if (failures++ == 0) firstError = e.what();
  };
  std::thread writer([&] {
    try {
      for (int i = 0; i < kTransactions; ++i) {
        db.write([&](Connection& c) {
          c.execute("INSERT INTO pairs (id, grp) VALUES (?, ?)",
                    {Value(int64_t{2 * i}), Value(int64_t{i})});
          c.execute("INSERT INTO pairs (id, grp) VALUES (?, ?)",
                    {Value(int64_t{2 * i + 1}), Value(int64_t{i})});
        });
      }
    } catch (const std::exception& e) {
      fail(e);
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      try {
        while (!done) {
          if (count(db, "pairs") % 2 != 0) ++oddSeen;
        }
      } catch (const std::exception& e) {
        fail(e);
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0) << firstError;
  EXPECT_EQ(oddSeen.load(), 0);
  EXPECT_EQ(count(db, "pairs"), 2 * kTransactions);
}

TEST(DatabaseConcurrency, TwoHandlesOnOneFileShareWritesWithoutLockErrors) {
  // The CLI and a running server open the same file.
  TempDir dir;
  const std::string path = dir.file("shared.db");
  Database server(StorageOptions{path});
  Database cli(StorageOptions{path});
  server.execute("CREATE TABLE t (k TEXT PRIMARY KEY)");
  std::atomic<int> failures{0};
  std::string firstError;
  std::mutex errorMutex;
  auto writes = [&](Database& db, const std::string& prefix) {
    for (int i = 0; i < 60; ++i) {
      try {
        db.write([&](Connection& c) {
          c.execute("INSERT INTO t (k) VALUES (?)", {Value(prefix + std::to_string(i))});
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(errorMutex);
        if (failures++ == 0) firstError = e.what();
      }
    }
  };
  std::thread a([&] { writes(server, "s"); });
  std::thread b([&] { writes(cli, "c"); });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0) << firstError;
  EXPECT_EQ(count(server, "t"), 120);
  EXPECT_EQ(count(cli, "t"), 120);
}

TEST(NowMillis, IsMillisecondsSinceTheEpoch) {
  const int64_t now = nowMillis();
  // 2020-01-01 .. 2100-01-01
  EXPECT_GT(now, 1'577'836'800'000);
  EXPECT_LT(now, 4'102'444'800'000);
}

}  // namespace
}  // namespace portcullis::storage
