#include "server/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace bitsearch::server {
namespace {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  std::string msg = absl::StrCat("sqlite ", what, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return absl::UnavailableError(msg);
  if (rc == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
  if (rc == SQLITE_FULL || rc == SQLITE_IOERR) return absl::ResourceExhaustedError(msg);
  return absl::InternalError(msg);
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cache_(other.cache_),
      key_(other.key_),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (cache_ != nullptr) {
    cache_->Release(key_, stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, absl::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, absl::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindOptional(int index, absl::string_view value) {
  return value.empty() ? BindNull(index) : Bind(index, value);
}

absl::Status Statement::BindError() const {
  return SqliteError(db_, bind_rc_, "bind");
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return BindError();
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "step");
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::ColumnText(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr) return "";
  return std::string(static_cast<const char*>(data), size);
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                         int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    absl::Status st = absl::UnavailableError(
        absl::StrCat("cannot open database ", path, ": ", raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_close(raw);
    return st;
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // WAL: readers never block the writer; synchronous=NORMAL is durable across process crashes
  // (the WAL is fsynced at checkpoints), which is what a kill -9 of the server needs.
  absl::Status st = db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                             "PRAGMA foreign_keys=ON;");
  if (!st.ok()) return st;
  absl::StatusOr<Statement> mode = db->Prepare("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  absl::StatusOr<bool> row = mode->Step();
  if (!row.ok()) return row.status();
  if (!*row || mode->ColumnText(0) != "wal") {
    return absl::FailedPreconditionError(absl::StrCat("database ", path, " cannot use WAL mode"));
  }
  return db;
}

SqliteDb::~SqliteDb() { (void)Close(); }

absl::Status SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    absl::Status st = SqliteError(nullptr, rc, "exec");
    return absl::Status(st.code(), absl::StrCat("sqlite exec: ", msg));
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> SqliteDb::Prepare(absl::string_view sql) {
  if (db_ == nullptr) return absl::UnavailableError("sqlite: the database is closed");
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) it = cache_.emplace(std::string(sql), std::vector<sqlite3_stmt*>()).first;
  if (!it->second.empty()) {
    sqlite3_stmt* stmt = it->second.back();
    it->second.pop_back();
    return Statement(db_, stmt, this, &it->first);
  }
  sqlite3_stmt* stmt = nullptr;
  // PERSISTENT: the statement will be reused many times.
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("prepare '", sql, "'"));
  ++compiled_;
  return Statement(db_, stmt, this, &it->first);
}

void SqliteDb::Release(const std::string* key, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  auto it = db_ != nullptr ? cache_.find(*key) : cache_.end();
  if (it == cache_.end()) {
    sqlite3_finalize(stmt);
    return;
  }
  it->second.push_back(stmt);
}

absl::Status SqliteDb::CheckpointPassive(int* frames_left) {
  if (db_ == nullptr) return absl::UnavailableError("sqlite: the database is closed");
  int log = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) return SqliteError(db_, rc, "checkpoint");
  if (frames_left != nullptr) *frames_left = log >= copied ? log - copied : 0;
  return absl::OkStatus();
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

absl::Status SqliteDb::Close() {
  if (db_ == nullptr) return absl::OkStatus();
  for (auto& [sql, stmts] : cache_) {
    for (sqlite3_stmt* stmt : stmts) sqlite3_finalize(stmt);
  }
  cache_.clear();
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "close");
  db_ = nullptr;
  return absl::OkStatus();
}

namespace {

// Runs a parameterless statement through the statement cache.
absl::Status RunCached(SqliteDb* db, absl::string_view sql) {
  absl::StatusOr<Statement> stmt = db->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return stmt->Run();
}

}  // namespace

Transaction::Transaction(SqliteDb* db) : db_(db), begin_status_(RunCached(db, "BEGIN IMMEDIATE")) {
  done_ = !begin_status_.ok();
}

Transaction::~Transaction() {
  if (!done_) (void)RunCached(db_, "ROLLBACK");
}

absl::Status Transaction::Commit() {
  if (!begin_status_.ok()) return begin_status_;
  done_ = true;
  absl::Status st = RunCached(db_, "COMMIT");
  if (!st.ok()) (void)RunCached(db_, "ROLLBACK");
  return st;
}

}  // namespace bitsearch::server
