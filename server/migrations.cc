#include "server/migrations.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace bitsearch::server {
namespace {

// Append-only: never edit a migration that has shipped; add a new one.
const std::vector<std::string>& Migrations() {
  static const auto* migrations = new std::vector<std::string>{
      // 1: initial schema.
      R"sql(
      CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- insertion order, the pagination cursor
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('QUEUED','RUNNING','SUCCEEDED','FAILED','CANCELLED')),
        spec_json TEXT NOT NULL,
        client_request_id TEXT UNIQUE,
        model_blob TEXT,                         -- file under data-dir, NULL when none
        checkpoint_blob TEXT,
        checkpoint_size INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        queued_ms INTEGER NOT NULL,              -- last time it entered the queue
        started_ms INTEGER NOT NULL DEFAULT 0,
        finished_ms INTEGER NOT NULL DEFAULT 0,
        attempt INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT NOT NULL DEFAULT '',
        lease_expires_ms INTEGER NOT NULL DEFAULT 0,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        phase TEXT NOT NULL DEFAULT '',
        last_sequence INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX jobs_by_state ON jobs(state, seq);
      CREATE TABLE events (
        job_id TEXT NOT NULL REFERENCES jobs(id),
        sequence INTEGER NOT NULL,
        payload BLOB NOT NULL,                   -- serialized bitsearch.v1.JobEvent
        PRIMARY KEY (job_id, sequence)
      ) WITHOUT ROWID;
      CREATE TABLE results (
        job_id TEXT PRIMARY KEY REFERENCES jobs(id),
        result_json TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE profiles (
        name TEXT PRIMARY KEY,
        format TEXT NOT NULL,
        content TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
      );
      CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        current_job TEXT NOT NULL DEFAULT ''
      );
      )sql",
      // 2: job ownership (per-client visibility) and lease tokens (only the lease's holder may
      // use it); finished_ms indexed for retention clean-up.
      R"sql(
      ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
      ALTER TABLE jobs ADD COLUMN lease_token TEXT NOT NULL DEFAULT '';
      CREATE INDEX jobs_by_owner ON jobs(owner, seq);
      CREATE INDEX jobs_by_finish ON jobs(finished_ms) WHERE finished_ms > 0;
      )sql",
      // 3: sweeps. A sweep row keeps the spec as submitted; its jobs point at it, say what they
      // run (a sweep's shared pretraining or the pipeline) and which job they wait for.
      R"sql(
      CREATE TABLE sweeps (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        spec_json TEXT NOT NULL,
        client_request_id TEXT UNIQUE,
        owner TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        cancel_requested INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX sweeps_by_owner ON sweeps(owner, seq);
      ALTER TABLE jobs ADD COLUMN sweep_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'search'
        CHECK (kind IN ('search', 'pretrain'));
      ALTER TABLE jobs ADD COLUMN depends_on TEXT NOT NULL DEFAULT '';
      ALTER TABLE jobs ADD COLUMN settings_json TEXT NOT NULL DEFAULT '';
      CREATE INDEX jobs_by_sweep ON jobs(sweep_id, seq) WHERE sweep_id != '';
      CREATE INDEX jobs_by_dependency ON jobs(depends_on) WHERE depends_on != '';
      )sql",
      // 4: data sets uploaded to the service (their chunks are blobs; the manifest lists them).
      R"sql(
      CREATE TABLE datasets (
        name TEXT PRIMARY KEY,                   -- points at its latest upload
        digest TEXT NOT NULL,                    -- sha256:<hex> of the canonical manifest
        size_bytes INTEGER NOT NULL,
        files INTEGER NOT NULL,
        single_file INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        manifest TEXT NOT NULL                   -- JSON (dataset_manager.cc)
      );
      CREATE INDEX datasets_by_digest ON datasets(digest);
      )sql",
  };
  return *migrations;
}

absl::StatusOr<int> UserVersion(SqliteDb* db) {
  absl::StatusOr<Statement> stmt = db->Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? static_cast<int>(stmt->ColumnInt(0)) : 0;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

absl::Status Migrate(SqliteDb* db) {
  absl::StatusOr<int> version = UserVersion(db);
  if (!version.ok()) return version.status();
  if (*version > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", *version, " is newer than this server's (",
                     LatestSchemaVersion(), "); upgrade bitsearch-server"));
  }
  for (int v = *version; v < LatestSchemaVersion(); ++v) {
    Transaction tx(db);
    if (!tx.status().ok()) return tx.status();
    absl::Status st = db->Exec(Migrations()[v]);
    // PRAGMA takes no bound parameters; the value is our own integer, not user input.
    if (st.ok()) st = db->Exec(absl::StrCat("PRAGMA user_version = ", v + 1));
    if (st.ok()) st = tx.Commit();
    if (!st.ok()) {
      return absl::Status(st.code(), absl::StrCat("migration to schema ", v + 1, ": ", st.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace bitsearch::server
