#include "server/backup.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bitsearch::server {
namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;

absl::StatusOr<DbPtr> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ",
                                               raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

// The first column of the first row of `sql` as an integer.
absl::StatusOr<int64_t> QueryInt(sqlite3* db, const char* sql, const std::string& what) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  if (rc != SQLITE_OK) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
  }
  rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
  }
  return sqlite3_column_int64(stmt, 0);
}

}  // namespace

absl::StatusOr<BackupStats> BackupDatabase(const std::string& db_path,
                                           const std::string& dest_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    return absl::NotFoundError(absl::StrCat("--db ", db_path, ": no such database file"));
  }
  if (fs::exists(dest_path, ec) && fs::equivalent(db_path, dest_path, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--backup ", dest_path, " is the database itself; choose another path"));
  }
  // Read-only: the backup can never write the live database. WAL gives this reader a snapshot
  // while the server commits.
  auto src = OpenDb(db_path, SQLITE_OPEN_READONLY);
  if (!src.ok()) return src.status();
  auto version = QueryInt(src->get(), "PRAGMA user_version", "read the schema version");
  if (!version.ok()) return version.status();
  auto has_jobs = QueryInt(
      src->get(), "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='jobs'",
      "read the schema");
  if (!has_jobs.ok()) return has_jobs.status();
  if (*version == 0 || *has_jobs == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(db_path, " is not a bitsearch database (no jobs table)"));
  }

  const std::string tmp = dest_path + ".tmp";
  fs::remove(tmp, ec);
  BackupStats stats;
  {
    auto dest = OpenDb(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!dest.ok()) return dest.status();
    sqlite3_backup* backup = sqlite3_backup_init(dest->get(), "main", src->get(), "main");
    if (backup == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot start the backup: ", sqlite3_errmsg(dest->get())));
    }
    // All pages in one step = one read transaction on the source = one consistent snapshot.
    // BUSY/LOCKED (a checkpoint holding a lock for a moment) is retried for a bounded time.
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 600; ++attempt) {
      rc = sqlite3_backup_step(backup, -1);
      if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stats.pages = sqlite3_backup_pagecount(backup);
    int finish_rc = sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE || finish_rc != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(dest->get());
      dest->reset();
      fs::remove(tmp, ec);
      return absl::UnavailableError(absl::StrCat("backup of ", db_path, " failed: ",
                                                 sqlite3_errstr(rc), " (", msg, ")"));
    }
    auto ok = QueryInt(dest->get(), "SELECT count(*) FROM pragma_integrity_check WHERE "
                                    "integrity_check <> 'ok'", "check the copy");
    auto jobs = QueryInt(dest->get(), "SELECT count(*) FROM jobs", "count jobs in the copy");
    if (!ok.ok() || !jobs.ok() || *ok != 0) {
      dest->reset();
      fs::remove(tmp, ec);
      return absl::DataLossError(absl::StrCat("the copy of ", db_path, " failed its integrity check"));
    }
    stats.jobs = *jobs;
    stats.schema_version = static_cast<int>(*version);
    // The copy inherits WAL mode; closing it checkpoints, leaving one self-contained file.
  }
  fs::rename(tmp, dest_path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot move the copy to ", dest_path, ": ", ec.message()));
  }
  stats.bytes = static_cast<int64_t>(fs::file_size(dest_path, ec));
  return stats;
}

}  // namespace bitsearch::server
