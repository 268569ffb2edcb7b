// SqliteJobStore, part 4: sweeps (a row with the jobs it expanded into), cancelling a sweep, and
// failing the jobs whose dependency failed.
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/sqlite_job_store.h"
#include "server/sqlite_rows.h"

namespace bitsearch::server {
namespace {

constexpr char kSweepColumns[] =
    "s.seq, s.id, s.name, s.spec_json, s.client_request_id, s.owner, s.created_ms, "
    "s.cancel_requested";

SweepRow ReadSweepRow(const Statement& s) {
  SweepRow row;
  ReadColumns(s, &row.seq, &row.id, &row.name, &row.spec_json, &row.client_request_id, &row.owner, &row.created_ms,
              &row.cancel_requested);
  return row;
}

}  // namespace

absl::StatusOr<SweepRow> SqliteJobStore::GetSweepLocked(const std::string& id) {
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      PrepareLocked(absl::StrCat("SELECT ", kSweepColumns, " FROM sweeps s WHERE s.id = ?")));
  stmt.Bind(1, id);
  return ReadOneRow(stmt, ReadSweepRow, absl::StrCat("sweep ", id, " not found"));
}

absl::StatusOr<std::vector<JobRecord>> SqliteJobStore::ListSweepJobsLocked(const std::string& sweep_id) {
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      db_->Prepare(absl::StrCat("SELECT ", kJobColumns,
                                                " FROM jobs j WHERE j.sweep_id = ? ORDER BY j.seq")));
  stmt.Bind(1, sweep_id);
  return ReadAllRows(stmt, ReadJobRow);
}

absl::StatusOr<SweepRow> SqliteJobStore::CreateSweep(const NewSweep& sweep, const std::vector<NewJob>& jobs,
                                                     int64_t now_ms, bool* deduplicated) {
  return CreateOnce(absl::StrCat("SELECT ", kSweepColumns, " FROM sweeps s WHERE s.client_request_id = ?"),
                    ReadSweepRow, sweep, "sweep", deduplicated,
                    [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return InsertSweepLocked(sweep, jobs, now_ms); });
}

// The sweep's row and its jobs (inside CreateSweep's transaction).
absl::StatusOr<SweepRow> SqliteJobStore::InsertSweepLocked(const NewSweep& sweep, const std::vector<NewJob>& jobs,
                                                           int64_t now_ms) {
  BS_ASSIGN_OR_RETURN(
      Statement ins,
      db_->Prepare("INSERT INTO sweeps(id, name, spec_json, client_request_id, owner, created_ms) "
                   "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq"));
  ins.Bind(1, sweep.id).Bind(2, sweep.name).Bind(3, sweep.spec_json);
  ins.BindOptional(4, sweep.client_request_id).Bind(5, sweep.owner).Bind(6, now_ms);
  BS_ASSIGN_OR_RETURN(bool row, ins.Step());
  if (!row) return absl::InternalError(absl::StrCat("sweep ", sweep.id, ": insert returned no row"));
  SweepRow created;
  created.seq = ins.ColumnInt(0);
  BS_RETURN_IF_ERROR(ins.Run());
  created.id = sweep.id;
  created.name = sweep.name;
  created.spec_json = sweep.spec_json;
  created.client_request_id = sweep.client_request_id;
  created.owner = sweep.owner;
  created.created_ms = now_ms;
  for (NewJob job : jobs) {
    job.sweep_id = sweep.id;
    job.client_request_id.clear();  // the sweep's request id covers its jobs
    BS_RETURN_IF_ERROR(InsertJobLocked(job, now_ms).status());
  }
  return created;
}

absl::StatusOr<SweepRow> SqliteJobStore::GetSweep(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return GetSweepLocked(id);
}

absl::StatusOr<std::vector<JobRecord>> SqliteJobStore::ListSweepJobs(const std::string& sweep_id) {
  absl::MutexLock lock(&mu_);
  BS_RETURN_IF_ERROR(CheckOpen());
  return ListSweepJobsLocked(sweep_id);
}

absl::StatusOr<SweepPage> SqliteJobStore::ListSweeps(int64_t cursor, int limit, const std::string& owner) {
  absl::MutexLock lock(&mu_);
  BS_RETURN_IF_ERROR(CheckOpen());
  if (cursor <= 0) cursor = std::numeric_limits<int64_t>::max();
  BS_ASSIGN_OR_RETURN(Statement stmt,
                      db_->Prepare(absl::StrCat("SELECT ", kSweepColumns, " FROM sweeps s WHERE s.seq < ?",
                                                owner.empty() ? "" : " AND s.owner = ?",
                                                " ORDER BY s.seq DESC LIMIT ?")));
  int i = 1;
  stmt.Bind(i++, cursor);
  if (!owner.empty()) stmt.Bind(i++, owner);
  stmt.Bind(i++, static_cast<int64_t>(limit) + 1);
  SweepPage page;
  BS_RETURN_IF_ERROR(ReadPage(stmt, limit, ReadSweepRow, &page.sweeps, &page.next_cursor));
  return page;
}

absl::StatusOr<std::vector<JobRecord>> SqliteJobStore::CancelSweep(const std::string& id, int64_t now_ms) {
  return InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<std::vector<JobRecord>> {
    BS_RETURN_IF_ERROR(GetSweepLocked(id).status());
    BS_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, ListSweepJobsLocked(id));
    std::vector<JobRecord> cancelled;
    for (const JobRecord& job : jobs) {
      if (IsTerminal(job.state)) continue;
      BS_ASSIGN_OR_RETURN(Statement upd,
                          db_->Prepare("UPDATE jobs SET state = 'CANCELLED', cancel_requested = 1, "
                                       "finished_ms = ? WHERE id = ?"));
      upd.Bind(1, now_ms).Bind(2, job.id);
      BS_RETURN_IF_ERROR(upd.Run());
      BS_RETURN_IF_ERROR(AppendStateEventLocked(job, JobState::kCancelled,
                                                absl::StrCat("cancelled with sweep ", id), now_ms));
      BS_ASSIGN_OR_RETURN(JobRecord after, GetJobLocked(job.id));
      cancelled.push_back(std::move(after));
    }
    if (cancelled.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("sweep ", id, " already finished"));
    }
    BS_ASSIGN_OR_RETURN(Statement mark, db_->Prepare("UPDATE sweeps SET cancel_requested = 1 WHERE id = ?"));
    mark.Bind(1, id);
    BS_RETURN_IF_ERROR(mark.Run());
    return cancelled;
  });
}

absl::StatusOr<std::vector<JobRecord>> SqliteJobStore::FailBlockedJobs(int64_t now_ms) {
  return InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<std::vector<JobRecord>> {
    BS_ASSIGN_OR_RETURN(
        Statement find,
        db_->Prepare(absl::StrCat("SELECT ", kJobColumns, ", d.state, d.error, d.kind FROM jobs j "
                                  "JOIN jobs d ON d.id = j.depends_on WHERE j.state = 'QUEUED' AND "
                                  "j.depends_on != '' AND d.state IN ('FAILED', 'CANCELLED')")));
    struct Blocked {
      JobRecord job;
      std::string reason;
    };
    std::vector<Blocked> blocked;
    while (true) {
      BS_ASSIGN_OR_RETURN(bool row, find.Step());
      if (!row) break;
      JobRecord job = ReadJobRow(find);
      const std::string what = find.ColumnText(29) == "pretrain" ? "pretraining" : "the job it depends on";
      std::string reason =
          find.ColumnText(27) == "CANCELLED"
              ? absl::StrCat(what, " (job ", job.depends_on, ") was cancelled")
              : absl::StrCat(what, " (job ", job.depends_on, ") failed: ", find.ColumnText(28));
      blocked.push_back({std::move(job), std::move(reason)});
    }
    std::vector<JobRecord> failed;
    for (const Blocked& b : blocked) {
      BS_ASSIGN_OR_RETURN(Statement upd,
                          db_->Prepare("UPDATE jobs SET state = 'FAILED', error = ?, finished_ms = ? "
                                       "WHERE id = ?"));
      upd.Bind(1, b.reason).Bind(2, now_ms).Bind(3, b.job.id);
      BS_RETURN_IF_ERROR(upd.Run());
      BS_RETURN_IF_ERROR(AppendStateEventLocked(b.job, JobState::kFailed, b.reason, now_ms));
      BS_ASSIGN_OR_RETURN(JobRecord after, GetJobLocked(b.job.id));
      failed.push_back(std::move(after));
    }
    return failed;
  });
}

}  // namespace bitsearch::server
