#include "server/sqlite_job_store.h"

#include <filesystem>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/migrations.h"
#include "server/proto_convert.h"
#include "server/sqlite_rows.h"
#include "base/status_macros.h"

namespace bitsearch::server {

const char kJobColumns[] =
    "j.seq, j.id, j.name, j.state, j.spec_json, j.client_request_id, j.model_blob, "
    "j.checkpoint_blob, j.checkpoint_size, j.created_ms, j.queued_ms, j.started_ms, "
    "j.finished_ms, j.attempt, j.lease_owner, j.lease_expires_ms, j.cancel_requested, j.error, "
    "j.phase, j.last_sequence, EXISTS (SELECT 1 FROM results r WHERE r.job_id = j.id), j.owner, "
    "j.lease_token, j.sweep_id, j.kind, j.depends_on, j.settings_json";

JobRecord ReadJobRow(const Statement& s) {
  JobRecord j;
  std::string state, kind;  // stored by name
  ReadColumns(s, &j.seq, &j.id, &j.name, &state, &j.spec_json, &j.client_request_id, &j.model_blob,
              &j.checkpoint_blob, &j.checkpoint_size, &j.created_ms, &j.queued_ms, &j.started_ms, &j.finished_ms,
              &j.attempt, &j.lease_owner, &j.lease_expires_ms, &j.cancel_requested, &j.error, &j.phase,
              &j.last_sequence, &j.has_result, &j.owner, &j.lease_token, &j.sweep_id, &kind, &j.depends_on,
              &j.settings_json);
  j.state = ParseJobState(state).value_or(JobState::kFailed);
  j.kind = kind == "pretrain" ? JobKind::kPretrain : JobKind::kSearch;
  return j;
}

namespace {

constexpr int kCheckpointIntervalMs = 200;
// Automatic checkpoints (inside a COMMIT) only if the background one falls this far behind.
constexpr int kAutoCheckpointPages = 20000;

// A zero-byte file is an empty database to SQLite; for a server it means a lost database (a
// truncated copy, a failed restore), so refuse it rather than start silently with no jobs.
absl::Status CheckNotEmptyFile(const std::string& path) {
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", path, " is an empty (0-byte) file, not a bitsearch database; restore it from "
        "a backup (bitsearch-server --backup makes one) or delete it to start with no jobs"));
  }
  return absl::OkStatus();
}

// PRAGMA quick_check: a corrupt file is refused at start instead of failing calls later.
absl::Status CheckIntegrity(SqliteDb* db, const std::string& path) {
  auto refuse = [&](const std::string& why) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", path, " is corrupt or not a bitsearch database (", why,
        "); restore it from a backup (bitsearch-server --backup makes one)"));
  };
  absl::StatusOr<Statement> stmt = db->Prepare("PRAGMA quick_check");
  if (!stmt.ok()) return refuse(std::string(stmt.status().message()));
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return refuse(std::string(row.status().message()));
  if (!*row) return refuse("quick_check returned nothing");
  std::string first = stmt->ColumnText(0);
  if (first != "ok") return refuse(absl::StrCat("quick_check: ", first.substr(0, 200)));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Open(const std::string& path) {
  BS_RETURN_IF_ERROR(CheckNotEmptyFile(path));
  absl::StatusOr<std::unique_ptr<SqliteDb>> opened = SqliteDb::Open(path);
  if (!opened.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open database ", path, ": ", opened.status().message()));
  }
  std::unique_ptr<SqliteDb> db = std::move(*opened);
  BS_RETURN_IF_ERROR(CheckIntegrity(db.get(), path));
  BS_RETURN_IF_ERROR(Migrate(db.get()));
  // The value is our own constant: PRAGMA takes no bound parameters.
  BS_RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA wal_autocheckpoint = ", kAutoCheckpointPages)));
  std::unique_ptr<SqliteJobStore> store(new SqliteJobStore(std::move(db)));
  BS_ASSIGN_OR_RETURN(store->checkpointer_, WalCheckpointer::Start(path, kCheckpointIntervalMs));
  return store;
}

absl::Status SqliteJobStore::CheckOpen() const {
  if (db_ == nullptr) return absl::UnavailableError("job store is closed (server shutting down)");
  return absl::OkStatus();
}

absl::StatusOr<Statement> SqliteJobStore::PrepareLocked(absl::string_view sql) {
  BS_RETURN_IF_ERROR(CheckOpen());
  return db_->Prepare(sql);
}

absl::Status SqliteJobStore::Close() {
  // First the checkpointer's connection, so the main one is the last and its close checkpoints
  // the whole WAL and removes it.
  if (checkpointer_ != nullptr) checkpointer_->Stop();
  absl::MutexLock lock(&mu_);
  if (db_ == nullptr) return absl::OkStatus();
  absl::Status st = db_->Close();
  db_.reset();
  return st;
}

absl::StatusOr<JobRecord> SqliteJobStore::GetJobLocked(const std::string& id) {
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      PrepareLocked(absl::StrCat("SELECT ", kJobColumns, " FROM jobs j WHERE j.id = ?")));
  stmt.Bind(1, id);
  return ReadOneRow(stmt, ReadJobRow, absl::StrCat("job ", id, " not found"));
}

absl::Status SqliteJobStore::AppendEventLocked(const std::string& job_id, JobEvent event,
                                               int64_t now_ms) {
  BS_ASSIGN_OR_RETURN(Statement seq,
                      db_->Prepare("UPDATE jobs SET last_sequence = last_sequence + 1 WHERE id = ? "
                                   "RETURNING last_sequence"));
  seq.Bind(1, job_id);
  BS_ASSIGN_OR_RETURN(bool row, seq.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  event.job_id = job_id;
  event.sequence = seq.ColumnInt(0);
  event.unix_ms = now_ms;
  BS_RETURN_IF_ERROR(seq.Run());  // finish the RETURNING statement
  BS_ASSIGN_OR_RETURN(Statement ins,
                      db_->Prepare("INSERT INTO events(job_id, sequence, payload) VALUES (?, ?, ?)"));
  ins.Bind(1, job_id).Bind(2, event.sequence).BindBlob(3, EncodeEvent(event));
  return ins.Run();
}

absl::Status SqliteJobStore::AppendStateEventLocked(const JobRecord& job, JobState state,
                                                    const std::string& message, int64_t now_ms) {
  JobEvent event;
  event.type = JobEvent::Type::kState;
  event.state = state;
  event.message = message;
  event.attempt = job.attempt;
  return AppendEventLocked(job.id, std::move(event), now_ms);
}

absl::StatusOr<JobRecord> SqliteJobStore::CreateJob(const NewJob& job, int64_t now_ms,
                                                    bool* deduplicated) {
  return CreateOnce(absl::StrCat("SELECT ", kJobColumns, " FROM jobs j WHERE j.client_request_id = ?"),
                    ReadJobRow, job, "job", deduplicated,
                    [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return InsertJobLocked(job, now_ms); });
}

absl::StatusOr<JobRecord> SqliteJobStore::InsertJobLocked(const NewJob& job, int64_t now_ms) {
  // The new row is known in full, so it is built here rather than read back; its first event
  // (sequence 1) goes in with it.
  BS_ASSIGN_OR_RETURN(
      Statement ins,
      db_->Prepare("INSERT INTO jobs(id, name, state, spec_json, client_request_id, model_blob, "
                   "created_ms, queued_ms, last_sequence, owner, sweep_id, kind, depends_on, "
                   "settings_json) VALUES (?, ?, 'QUEUED', ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) "
                   "RETURNING seq"));
  ins.Bind(1, job.id).Bind(2, job.name).Bind(3, job.spec_json);
  ins.BindOptional(4, job.client_request_id).BindOptional(5, job.model_blob);
  ins.Bind(6, now_ms).Bind(7, now_ms).Bind(8, job.owner).Bind(9, job.sweep_id);
  ins.Bind(10, std::string(JobKindName(job.kind))).Bind(11, job.depends_on).Bind(12, job.settings_json);
  BS_ASSIGN_OR_RETURN(bool row, ins.Step());
  if (!row) return absl::InternalError(absl::StrCat("job ", job.id, ": insert returned no row"));
  JobRecord created;
  created.seq = ins.ColumnInt(0);
  BS_RETURN_IF_ERROR(ins.Run());  // finish the RETURNING statement
  created.id = job.id;
  created.name = job.name;
  created.state = JobState::kQueued;
  created.spec_json = job.spec_json;
  created.client_request_id = job.client_request_id;
  created.model_blob = job.model_blob;
  created.owner = job.owner;
  created.sweep_id = job.sweep_id;
  created.kind = job.kind;
  created.depends_on = job.depends_on;
  created.settings_json = job.settings_json;
  created.created_ms = created.queued_ms = now_ms;
  created.last_sequence = 1;
  JobEvent event;
  event.job_id = job.id;
  event.sequence = 1;
  event.unix_ms = now_ms;
  event.type = JobEvent::Type::kState;
  event.state = JobState::kQueued;
  event.message = job.depends_on.empty() ? "submitted"
                                         : absl::StrCat("submitted; waits for job ", job.depends_on);
  BS_ASSIGN_OR_RETURN(Statement ev,
                      db_->Prepare("INSERT INTO events(job_id, sequence, payload) VALUES (?, ?, ?)"));
  ev.Bind(1, job.id).Bind(2, int64_t{1}).BindBlob(3, EncodeEvent(event));
  BS_RETURN_IF_ERROR(ev.Run());
  return created;
}

absl::StatusOr<JobRecord> SqliteJobStore::GetJob(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return GetJobLocked(id);
}

absl::StatusOr<JobPage> SqliteJobStore::ListJobs(std::optional<JobState> state, int64_t cursor,
                                                 int limit, const std::string& owner) {
  absl::MutexLock lock(&mu_);
  BS_RETURN_IF_ERROR(CheckOpen());
  if (cursor <= 0) cursor = std::numeric_limits<int64_t>::max();
  std::string sql = absl::StrCat("SELECT ", kJobColumns, " FROM jobs j WHERE j.seq < ?",
                                 state ? " AND j.state = ?" : "",
                                 owner.empty() ? "" : " AND j.owner = ?",
                                 " ORDER BY j.seq DESC LIMIT ?");
  BS_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
  int i = 1;
  stmt.Bind(i++, cursor);
  if (state) stmt.Bind(i++, std::string(JobStateName(*state)));
  if (!owner.empty()) stmt.Bind(i++, owner);
  stmt.Bind(i++, static_cast<int64_t>(limit) + 1);
  JobPage page;
  BS_RETURN_IF_ERROR(ReadPage(stmt, limit, ReadJobRow, &page.jobs, &page.next_cursor));
  return page;
}

absl::StatusOr<JobRecord> SqliteJobStore::CancelJob(const std::string& id, int64_t now_ms) {
  return InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<JobRecord> {
    BS_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id));
    if (IsTerminal(job.state)) {
      return absl::FailedPreconditionError(
          absl::StrCat("job ", id, " already finished as ", JobStateName(job.state)));
    }
    BS_ASSIGN_OR_RETURN(Statement upd,
                        db_->Prepare("UPDATE jobs SET state = 'CANCELLED', cancel_requested = 1, "
                                     "finished_ms = ? WHERE id = ?"));
    upd.Bind(1, now_ms).Bind(2, id);
    BS_RETURN_IF_ERROR(upd.Run());
    BS_RETURN_IF_ERROR(AppendStateEventLocked(job, JobState::kCancelled, "cancelled by client", now_ms));
    return GetJobLocked(id);
  });
}

absl::StatusOr<std::string> SqliteJobStore::GetResult(const std::string& id) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id));
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      db_->Prepare("SELECT result_json FROM results WHERE job_id = ?"));
  stmt.Bind(1, id);
  BS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::FailedPreconditionError(absl::StrCat("job ", id, " has no result (state ",
                                                      JobStateName(job.state), ")"));
  }
  return stmt.ColumnText(0);
}

absl::StatusOr<std::vector<JobEvent>> SqliteJobStore::ReadEvents(const std::string& id,
                                                                 int64_t after_sequence,
                                                                 int limit) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt, PrepareLocked("SELECT payload FROM events WHERE job_id = ? AND sequence > ? "
                                                    "ORDER BY sequence LIMIT ?"));
  stmt.Bind(1, id).Bind(2, after_sequence).Bind(3, static_cast<int64_t>(limit));
  std::vector<JobEvent> events;
  while (true) {
    BS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::optional<JobEvent> event = DecodeEvent(stmt.ColumnText(0));
    if (!event) return absl::DataLossError(absl::StrCat("job ", id, ": corrupt event record"));
    events.push_back(std::move(*event));
  }
  return events;
}

absl::StatusOr<std::map<JobState, int64_t>> SqliteJobStore::CountJobsByState() {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt, PrepareLocked("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
  std::map<JobState, int64_t> counts;
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded,
                     JobState::kFailed, JobState::kCancelled}) {
    counts[s] = 0;
  }
  while (true) {
    BS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (auto s = ParseJobState(stmt.ColumnText(0))) counts[*s] = stmt.ColumnInt(1);
  }
  return counts;
}

absl::StatusOr<std::vector<JobRecord>> SqliteJobStore::ListJobsWithExpiredBlobs(int64_t before_ms,
                                                                                int limit) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      PrepareLocked(absl::StrCat("SELECT ", kJobColumns,
                                                 " FROM jobs j WHERE j.finished_ms > 0 AND j.finished_ms < ? AND "
                                                 "j.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND "
                                                 "(j.model_blob IS NOT NULL OR j.checkpoint_blob IS NOT NULL) "
                                                 "ORDER BY j.finished_ms LIMIT ?")));
  stmt.Bind(1, before_ms).Bind(2, static_cast<int64_t>(limit));
  return ReadAllRows(stmt, ReadJobRow);
}

absl::Status SqliteJobStore::ClearJobBlobs(const std::string& id) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement upd, PrepareLocked("UPDATE jobs SET model_blob = NULL, checkpoint_blob = NULL, "
                                                   "checkpoint_size = 0 WHERE id = ?"));
  upd.Bind(1, id);
  return upd.Run();
}

}  // namespace bitsearch::server
