#pragma once
// The one way into the database. Poco::Data with SQLite in WAL mode today;
// the SQL is kept to what PostgreSQL runs too (TEXT, BIGINT, no
// AUTOINCREMENT, ? placeholders) so a PostgreSQL backend can follow.
//
// SQLite has a single writer: every write goes through one connection under
// a mutex, in a BEGIN IMMEDIATE transaction; reads use a small pool.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Dynamic/Var.h>

namespace Poco::Data {
class Session;
class SessionPool;
}  // namespace Poco::Data

namespace portcullis::storage {

using Value = Poco::Dynamic::Var;  // a parameter or a column: null, string, integer, number
using Params = std::vector<Value>;

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool isNull(size_t i) const { return values_.at(i).isEmpty(); }
  std::string text(size_t i) const;                  // "" for null
  std::optional<std::string> optionalText(size_t i) const;
  int64_t integer(size_t i) const;                   // 0 for null
  std::optional<int64_t> optionalInteger(size_t i) const;

 private:
  std::vector<Value> values_;
};
using Rows = std::vector<Row>;

class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StorageOptions {
  std::string path;                   // SQLite database file
  std::string synchronous = "FULL";   // FULL or NORMAL
  int busyTimeoutMs = 5000;
  int readers = 4;
};

// Binds one row's values, in placeholder order, to a statement prepared
// once for many rows (Connection::insertRows). Text is not copied: it must
// live until the bindRow callback that bound it returns.
class RowBinder {
 public:
  virtual RowBinder& text(std::string_view value) = 0;
  virtual RowBinder& integer(int64_t value) = 0;
  virtual RowBinder& null() = 0;

 protected:
  ~RowBinder() = default;
};

// Runs queries on one connection, inside or outside a transaction.
class Connection {
 public:
  explicit Connection(Poco::Data::Session& session) : session_(session) {}
  Rows query(const std::string& sql, const Params& params = {});
  size_t execute(const std::string& sql, const Params& params = {});

  // Runs `sql`, one INSERT of one row of placeholders, once per row:
  // `bindRow(i, binder)` binds row i. The statement is prepared once and the
  // values are bound without copies, for writers of many rows of one shape
  // (the audit log), where Poco::Data's bindings cost more than the insert
  // itself (docs/adr/0008-bulk-inserts.md). Returns the rows inserted.
  size_t insertRows(const std::string& sql, size_t rows,
                    const std::function<void(size_t row, RowBinder& binder)>& bindRow);

  // Inside Database::write: have the commit listeners told once this
  // transaction has committed.
  void announce() { announced_ = true; }
  bool announced() const { return announced_; }

 private:
  Poco::Data::Session& session_;
  bool announced_ = false;
};

class Database {
 public:
  // Opens (creating the file and its directory) and brings the schema up to
  // date. Throws DatabaseError.
  explicit Database(StorageOptions options);
  ~Database();

  Rows query(const std::string& sql, const Params& params = {});
  size_t execute(const std::string& sql, const Params& params = {});

  // Runs `work` in one write transaction; rolls back when it throws.
  void write(const std::function<void(Connection&)>& work);
  // Called on the writing thread, after the write lock is released, when a
  // transaction that announced itself has committed. Returns an id for
  // removeCommitListener.
  int onCommit(std::function<void()> listener);
  void removeCommitListener(int id);

  int schemaVersion();
  const StorageOptions& options() const { return options_; }

 private:
  void configure(Poco::Data::Session& session);
  void migrate();

  StorageOptions options_;
  std::mutex writeMutex_;
  std::mutex listenersMutex_;
  std::vector<std::pair<int, std::function<void()>>> commitListeners_;
  int nextListener_ = 1;
  std::unique_ptr<Poco::Data::Session> writer_;
  std::unique_ptr<Poco::Data::SessionPool> readers_;
  // The pool throws when every session is in use; readers wait for one.
  std::mutex readerMutex_;
  std::condition_variable readerFree_;
  int readersInUse_ = 0;
};

// Milliseconds since the epoch, the unit of every timestamp column.
int64_t nowMillis();

}  // namespace portcullis::storage
