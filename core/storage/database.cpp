#include "core/storage/database.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <sqlite3.h>

#include "core/common/log.hpp"
#include "core/storage/schema.hpp"

namespace portcullis::storage {

using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::now;

int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Row::text(size_t i) const { return optionalText(i).value_or(""); }

std::optional<std::string> Row::optionalText(size_t i) const {
  const Value& v = values_.at(i);
  if (v.isEmpty()) return std::nullopt;
  return v.convert<std::string>();
}

int64_t Row::integer(size_t i) const { return optionalInteger(i).value_or(0); }

std::optional<int64_t> Row::optionalInteger(size_t i) const {
  const Value& v = values_.at(i);
  if (v.isEmpty()) return std::nullopt;
  return v.convert<int64_t>();
}

namespace {

void bindAll(Poco::Data::Statement& statement, const Params& params) {
  for (const Value& v : params) {
    if (v.isEmpty()) {
      statement.addBind(bind(Poco::Nullable<std::string>()));
    } else if (v.isString()) {
      statement.addBind(bind(v.extract<std::string>()));
    } else if (v.isBoolean()) {
      statement.addBind(bind(static_cast<Poco::Int64>(v.extract<bool>() ? 1 : 0)));
    } else if (v.isInteger()) {
      statement.addBind(bind(v.convert<Poco::Int64>()));
    } else if (v.isNumeric()) {
      statement.addBind(bind(v.convert<double>()));
    } else {
      statement.addBind(bind(v.convert<std::string>()));
    }
  }
}

template <typename F>
auto guarded(const std::string& sql, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Poco::Exception& e) {
    throw DatabaseError(e.displayText() + " (in: " + sql.substr(0, 80) + ")");
  }
}

}  // namespace

Rows Connection::query(const std::string& sql, const Params& params) {
  return guarded(sql, [&] {
    Poco::Data::Statement statement(session_);
    statement << sql;
    bindAll(statement, params);
    statement.execute();
    Poco::Data::RecordSet records(statement);
    Rows rows;
    const size_t columns = records.columnCount();
    rows.reserve(records.rowCount());
    for (size_t r = 0; r < records.rowCount(); ++r) {
      std::vector<Value> values;
      values.reserve(columns);
      for (size_t c = 0; c < columns; ++c) {
        values.push_back(records.isNull(c, r) ? Value() : records.value(c, r));
      }
      rows.emplace_back(std::move(values));
    }
    return rows;
  });
}

size_t Connection::execute(const std::string& sql, const Params& params) {
  return guarded(sql, [&] {
    Poco::Data::Statement statement(session_);
    statement << sql;
    bindAll(statement, params);
    return statement.execute();
  });
}

namespace {

// Binds straight to a prepared SQLite statement and counts what it bound,
// so that a row with too few or too many values fails instead of reusing
// the previous row's.
class SqliteRowBinder final : public RowBinder {
 public:
  SqliteRowBinder(sqlite3_stmt* statement, const std::string& sql) : statement_(statement), sql_(sql) {}

  RowBinder& text(std::string_view value) override {
    check(sqlite3_bind_text64(statement_, next(), value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
  }
  RowBinder& integer(int64_t value) override {
    check(sqlite3_bind_int64(statement_, next(), value));
    return *this;
  }
  RowBinder& null() override {
    check(sqlite3_bind_null(statement_, next()));
    return *this;
  }

  // Before each row.
  void reset() { bound_ = 0; }
  int bound() const { return bound_; }

 private:
  int next() { return ++bound_; }
  void check(int rc) {
    if (rc != SQLITE_OK) {
      throw DatabaseError(std::string("cannot bind value ") + std::to_string(bound_) + ": " + sqlite3_errstr(rc) +
                          " (in: " + sql_.substr(0, 80) + ")");
    }
  }

  sqlite3_stmt* statement_;
  const std::string& sql_;
  int bound_ = 0;
};

}  // namespace

size_t Connection::insertRows(const std::string& sql, size_t rows,
                              const std::function<void(size_t row, RowBinder& binder)>& bindRow) {
  if (rows == 0) return 0;
  sqlite3* db = guarded(sql, [&] { return Poco::Data::SQLite::Utility::dbHandle(session_); });
  const auto fail = [&](const char* what) {
    return DatabaseError(std::string(what) + ": " + sqlite3_errmsg(db) + " (in: " + sql.substr(0, 80) + ")");
  };
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    throw fail("cannot prepare");
  }
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  const int expected = sqlite3_bind_parameter_count(raw);
  SqliteRowBinder binder(raw, sql);
  size_t inserted = 0;
  for (size_t row = 0; row < rows; ++row) {
    binder.reset();
    bindRow(row, binder);
    if (binder.bound() != expected) {
      throw DatabaseError("row " + std::to_string(row) + " bound " + std::to_string(binder.bound()) +
                          " values for " + std::to_string(expected) + " placeholders (in: " + sql.substr(0, 80) + ")");
    }
    if (sqlite3_step(raw) != SQLITE_DONE) throw fail("cannot insert");
    inserted += static_cast<size_t>(sqlite3_changes(db));
    sqlite3_reset(raw);
  }
  return inserted;
}

Database::Database(StorageOptions options) : options_(std::move(options)) {
  Poco::Data::SQLite::Connector::registerConnector();
  try {
    const std::filesystem::path file(options_.path);
    if (file.has_parent_path() && !std::filesystem::exists(file.parent_path())) {
      std::filesystem::create_directories(file.parent_path());
      std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace);
    }
    // Password hashes and sealed keys live here: readable by the owner only
    // (SQLite gives its -wal and -shm files the database file's mode).
    if (const int fd = ::open(options_.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0) {
      ::close(fd);
    }
    if (std::filesystem::is_directory(file)) throw DatabaseError("cannot open the database " + options_.path + ": it is a directory");
    if (options_.readers < 1) options_.readers = 1;
    // Poco retries a file SQLite cannot open until its login timeout
    // (60 s by default); fail as soon as the busy timeout would.
    const auto loginTimeout = static_cast<std::size_t>(std::max(1, options_.busyTimeoutMs / 1000));
    writer_ = std::make_unique<Poco::Data::Session>("SQLite", options_.path, loginTimeout);
    configure(*writer_);
    // WAL lets readers run beside the one writer.
    *writer_ << "PRAGMA journal_mode=WAL", now;
    readers_ = std::make_unique<Poco::Data::SessionPool>("SQLite", options_.path, 1, options_.readers);
  } catch (const Poco::Exception& e) {
    throw DatabaseError("cannot open the database " + options_.path + ": " + e.displayText());
  } catch (const std::filesystem::filesystem_error& e) {
    throw DatabaseError("cannot create the directory for " + options_.path + ": " + e.what());
  }
  migrate();
}

Database::~Database() {
  readers_.reset();
  writer_.reset();
}

void Database::configure(Poco::Data::Session& session) {
  session << "PRAGMA busy_timeout=" + std::to_string(options_.busyTimeoutMs), now;
  session << "PRAGMA synchronous=" + options_.synchronous, now;
  session << "PRAGMA foreign_keys=ON", now;
}

Rows Database::query(const std::string& sql, const Params& params) {
  {
    std::unique_lock lock(readerMutex_);
    readerFree_.wait(lock, [&] { return readersInUse_ < options_.readers; });
    ++readersInUse_;
  }
  struct Release {
    Database& db;
    ~Release() {
      {
        std::lock_guard lock(db.readerMutex_);
        --db.readersInUse_;
      }
      db.readerFree_.notify_one();
    }
  } release{*this};
  Poco::Data::Session session = guarded(sql, [&] { return readers_->get(); });
  guarded(sql, [&] {
    session << "PRAGMA busy_timeout=" + std::to_string(options_.busyTimeoutMs), now;
    return 0;
  });
  Connection connection(session);
  return connection.query(sql, params);
}

size_t Database::execute(const std::string& sql, const Params& params) {
  size_t changed = 0;
  write([&](Connection& c) { changed = c.execute(sql, params); });
  return changed;
}

int Database::onCommit(std::function<void()> listener) {
  std::lock_guard lock(listenersMutex_);
  commitListeners_.emplace_back(nextListener_, std::move(listener));
  return nextListener_++;
}

void Database::removeCommitListener(int id) {
  std::lock_guard lock(listenersMutex_);
  std::erase_if(commitListeners_, [id](const auto& entry) { return entry.first == id; });
}

void Database::write(const std::function<void(Connection&)>& work) {
  bool announced = false;
  {
    std::lock_guard lock(writeMutex_);
    Connection connection(*writer_);
    connection.execute("BEGIN IMMEDIATE");
    try {
      work(connection);
      connection.execute("COMMIT");
    } catch (...) {
      try {
        connection.execute("ROLLBACK");
      } catch (...) {
      }
      throw;
    }
    announced = connection.announced();
  }
  if (!announced) return;
  std::vector<std::pair<int, std::function<void()>>> listeners;
  {
    std::lock_guard lock(listenersMutex_);
    listeners = commitListeners_;
  }
  for (const auto& [id, listener] : listeners) listener();
}

int Database::schemaVersion() {
  const Rows rows = query("SELECT MAX(version) FROM schema_version");
  return rows.empty() || rows[0].isNull(0) ? 0 : static_cast<int>(rows[0].integer(0));
}

void Database::migrate() {
  write([](Connection& c) {
    c.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, applied_at BIGINT NOT NULL)");
  });
  const int current = schemaVersion();
  if (current > migrations().back().version) {
    throw DatabaseError("the database " + options_.path + " has schema version " + std::to_string(current) +
                        ", newer than this server knows (" + std::to_string(migrations().back().version) +
                        "): it was written by a newer Portcullis");
  }
  for (const auto& migration : migrations()) {
    if (migration.version <= current) continue;
    write([&](Connection& c) {
      for (const auto& sql : migration.statements) c.execute(sql);
      c.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                {Value(static_cast<int64_t>(migration.version)), Value(nowMillis())});
    });
    common::logger("storage").information("database schema migrated to version %d (%s)", migration.version,
                                          migration.description);
  }
}

}  // namespace portcullis::storage
