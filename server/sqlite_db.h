// Thin RAII wrapper over the SQLite C API: a connection (`SqliteDb`), prepared statements with
// typed binding (`Statement`) and a scoped transaction. Parameterised statements only: values are
// always bound, never pasted into SQL text. Prepared statements are cached per SQL text and reset
// when a Statement goes out of scope, so a hot path compiles its SQL once per connection.
//
// Thread-safety: a SqliteDb and its statements belong to one thread at a time; callers serialise
// access (the job store holds a mutex around every use).
#ifndef BITSEARCH_SERVER_SQLITE_DB_H_
#define BITSEARCH_SERVER_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace bitsearch::server {

class SqliteDb;

class Statement {
 public:
  // `cache` (may be null) takes the statement back, reset, on destruction instead of finalizing
  // it; `key` is its SQL text inside that cache.
  Statement(sqlite3* db, sqlite3_stmt* stmt, SqliteDb* cache = nullptr,
            const std::string* key = nullptr)
      : db_(db), stmt_(stmt), cache_(cache), key_(key) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Binds the 1-based parameter `index`; chainable.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, absl::string_view text);
  Statement& BindBlob(int index, absl::string_view bytes);
  Statement& BindNull(int index);
  // Binds text, or NULL when `value` is empty.
  Statement& BindOptional(int index, absl::string_view value);

  // Advances to the next row: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();

  int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  absl::Status BindError() const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  SqliteDb* cache_;
  const std::string* key_;
  int bind_rc_ = 0;  // first failing bind, reported by Step/Run
};

class SqliteDb {
 public:
  // Opens (creating) `path` in WAL mode with a busy timeout and foreign keys on.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                        int busy_timeout_ms = 5000);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without parameters (schema, pragmas).
  absl::Status Exec(const std::string& sql);
  // A statement for `sql`: from the cache when one is free, else freshly compiled.
  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Number of rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // Copies committed WAL frames into the database without waiting for readers or writers
  // (SQLITE_CHECKPOINT_PASSIVE); `*frames_left` gets the frames not yet copied.
  absl::Status CheckpointPassive(int* frames_left = nullptr);
  // Statements compiled so far (cached, free or in use); for tests.
  int compiled_statements() const { return compiled_; }
  // Closes the connection (checkpointing the WAL); idempotent.
  absl::Status Close();

 private:
  friend class Statement;
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  // Takes back a statement (reset, bindings cleared) for reuse.
  void Release(const std::string* key, sqlite3_stmt* stmt);

  sqlite3* db_;
  // Free compiled statements by SQL text; several per text when nested calls check out the same
  // SQL twice. Node-based, so key addresses stay valid for the Statements that point at them.
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> cache_;
  int compiled_ = 0;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(SqliteDb* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const absl::Status& status() const { return begin_status_; }
  absl::Status Commit();

 private:
  SqliteDb* db_;
  absl::Status begin_status_;
  bool done_ = false;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_SQLITE_DB_H_
