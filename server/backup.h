// `bitsearch-server --backup PATH`: a consistent copy of the server database made with SQLite's
// online backup API, from a separate process, while a server may be running on the same file.
//
// Why a separate process and not an admin RPC: the database is in WAL mode, so a reader sees one
// consistent snapshot while the server keeps writing, and opening the live file read-only means the
// backup can never write to it. It needs no new RPC, role or token, works the same whether the
// server is up or down, and runs wherever the database file is (`docker compose exec`,
// `kubectl exec`).
//
// Thread-safety: a free function with no shared state.
#ifndef BITSEARCH_SERVER_BACKUP_H_
#define BITSEARCH_SERVER_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace bitsearch::server {

struct BackupStats {
  int64_t pages = 0;      // database pages copied
  int64_t bytes = 0;      // size of the copy
  int64_t jobs = 0;       // rows in the copy's jobs table
  int schema_version = 0; // PRAGMA user_version of the copy
};

// Copies `db_path` (opened read-only) to `dest_path` in one read transaction: the copy is the
// database as of one commit. Writes `dest_path`.tmp first, checks its integrity, then renames it
// over `dest_path`. Fails without touching `dest_path` when the source is missing or not a
// bitsearch database, or when both paths name the same file.
absl::StatusOr<BackupStats> BackupDatabase(const std::string& db_path,
                                           const std::string& dest_path);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_BACKUP_H_
