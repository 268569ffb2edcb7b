// SqliteJobStore, part 2: leases, heartbeats, worker events, checkpoints, completion, reaping
// and the workers table.
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/sqlite_job_store.h"
#include "server/sqlite_rows.h"
#include "base/status_macros.h"

namespace bitsearch::server {
namespace {

// Compares without an early exit, so timing does not tell how much of a guess was right.
bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

absl::Status SqliteJobStore::TouchWorkerLocked(const std::string& worker_id,
                                               const std::string& job_id, int64_t now_ms) {
  BS_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("INSERT INTO workers(id, first_seen_ms, last_seen_ms, current_job) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                   "last_seen_ms = excluded.last_seen_ms, current_job = excluded.current_job"));
  stmt.Bind(1, worker_id).Bind(2, now_ms).Bind(3, now_ms).Bind(4, job_id);
  return stmt.Run();
}

absl::StatusOr<JobRecord> SqliteJobStore::CheckLeaseLocked(const LeaseRef& lease,
                                                           bool allow_cancelled) {
  BS_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(lease.job_id));
  if (job.lease_owner != lease.worker_id || job.attempt != lease.attempt) {
    return absl::FailedPreconditionError(absl::StrCat(
        "worker ", lease.worker_id, " does not hold the lease of job ", job.id, " attempt ",
        lease.attempt, " (current attempt ", job.attempt, ", owner '", job.lease_owner, "')"));
  }
  // The worker id is only a name; the lease token proves that the caller is the worker the
  // lease was handed to.
  if (job.lease_token.empty() || !SameSecret(job.lease_token, lease.token)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the lease of job ", job.id, " attempt ", lease.attempt,
        " belongs to another worker (lease.token does not match)"));
  }
  if (job.state == JobState::kRunning) return job;
  if (job.state == JobState::kCancelled && allow_cancelled) return job;
  return absl::FailedPreconditionError(
      absl::StrCat("job ", job.id, " is ", JobStateName(job.state), ", no longer running"));
}

absl::StatusOr<std::optional<JobRecord>> SqliteJobStore::LeaseNext(const std::string& worker_id,
                                                                   const std::string& lease_token,
                                                                   int64_t now_ms,
                                                                   int64_t lease_ms) {
  return InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<std::optional<JobRecord>> {
    // The oldest queued job that waits for nothing: a sweep point is leased only once the
    // pretraining it depends on SUCCEEDED (FailBlockedJobs ends the points of a failed one).
    BS_ASSIGN_OR_RETURN(Statement next,
                        db_->Prepare("SELECT j.id FROM jobs j WHERE j.state = 'QUEUED' AND "
                                     "(j.depends_on = '' OR EXISTS (SELECT 1 FROM jobs d WHERE "
                                     "d.id = j.depends_on AND d.state = 'SUCCEEDED')) "
                                     "ORDER BY j.seq LIMIT 1"));
    BS_ASSIGN_OR_RETURN(bool row, next.Step());
    if (!row) {
      BS_RETURN_IF_ERROR(TouchWorkerLocked(worker_id, "", now_ms));
      return std::optional<JobRecord>();
    }
    std::string id = next.ColumnText(0);
    BS_ASSIGN_OR_RETURN(
        Statement upd,
        db_->Prepare("UPDATE jobs SET state = 'RUNNING', attempt = attempt + 1, lease_owner = ?, "
                     "lease_token = ?, lease_expires_ms = ?, started_ms = CASE WHEN started_ms = 0 "
                     "THEN ? ELSE started_ms END WHERE id = ?"));
    upd.Bind(1, worker_id).Bind(2, lease_token).Bind(3, now_ms + lease_ms).Bind(4, now_ms);
    upd.Bind(5, id);
    BS_RETURN_IF_ERROR(upd.Run());
    BS_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id));
    BS_RETURN_IF_ERROR(AppendStateEventLocked(
        job, JobState::kRunning,
        absl::StrCat("leased by worker ", worker_id, " (attempt ", job.attempt, ")",
                     job.checkpoint_blob.empty() ? "" : ", resuming from checkpoint"),
        now_ms));
    BS_RETURN_IF_ERROR(TouchWorkerLocked(worker_id, id, now_ms));
    job.last_sequence += 1;
    return std::optional<JobRecord>(std::move(job));
  });
}

absl::StatusOr<HeartbeatReply> SqliteJobStore::Heartbeat(const LeaseRef& lease, int64_t now_ms,
                                                         int64_t lease_ms) {
  return UnderLease(
      lease, /*allow_cancelled=*/true,
      [&](const JobRecord& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<HeartbeatReply> {
        HeartbeatReply reply;
        reply.cancel_requested = job.state == JobState::kCancelled || job.cancel_requested;
        reply.lease_expires_ms = job.lease_expires_ms;
        if (job.state == JobState::kRunning) {
          BS_ASSIGN_OR_RETURN(Statement upd,
                              db_->Prepare("UPDATE jobs SET lease_expires_ms = ? WHERE id = ?"));
          upd.Bind(1, now_ms + lease_ms).Bind(2, job.id);
          BS_RETURN_IF_ERROR(upd.Run());
          reply.lease_expires_ms = now_ms + lease_ms;
        }
        BS_RETURN_IF_ERROR(TouchWorkerLocked(lease.worker_id, job.id, now_ms));
        return reply;
      });
}

absl::StatusOr<bool> SqliteJobStore::AppendWorkerEvents(const LeaseRef& lease,
                                                        std::vector<JobEvent> events,
                                                        int64_t now_ms) {
  return UnderLease(
      lease, /*allow_cancelled=*/true,
      [&](const JobRecord& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<bool> {
        // A cancelled job's log is closed; tell the worker to stop instead of storing more.
        if (job.state == JobState::kCancelled) return true;
        std::string phase = job.phase;
        for (JobEvent& event : events) {
          if (event.type == JobEvent::Type::kState || event.type == JobEvent::Type::kUnspecified) {
            return absl::InvalidArgumentError("events[].type: workers may only report phase, "
                                              "progress and log events");
          }
          event.attempt = lease.attempt;
          event.state.reset();
          if (event.type == JobEvent::Type::kPhaseStart) phase = event.phase;
          BS_RETURN_IF_ERROR(AppendEventLocked(job.id, std::move(event), now_ms));
        }
        if (phase != job.phase) {
          BS_ASSIGN_OR_RETURN(Statement upd, db_->Prepare("UPDATE jobs SET phase = ? WHERE id = ?"));
          upd.Bind(1, phase).Bind(2, job.id);
          BS_RETURN_IF_ERROR(upd.Run());
        }
        return job.cancel_requested;
      });
}

absl::StatusOr<std::string> SqliteJobStore::SetCheckpoint(const LeaseRef& lease,
                                                          const std::string& blob, int64_t size,
                                                          int64_t now_ms) {
  return UnderLease(
      lease, /*allow_cancelled=*/false,
      [&](const JobRecord& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<std::string> {
        BS_ASSIGN_OR_RETURN(Statement upd,
                            db_->Prepare("UPDATE jobs SET checkpoint_blob = ?, checkpoint_size = ? "
                                         "WHERE id = ?"));
        upd.Bind(1, blob).Bind(2, size).Bind(3, job.id);
        BS_RETURN_IF_ERROR(upd.Run());
        BS_RETURN_IF_ERROR(TouchWorkerLocked(lease.worker_id, job.id, now_ms));
        return job.checkpoint_blob;
      });
}

absl::StatusOr<JobRecord> SqliteJobStore::CheckLease(const LeaseRef& lease) {
  absl::MutexLock lock(&mu_);
  BS_RETURN_IF_ERROR(CheckOpen());
  return CheckLeaseLocked(lease, /*allow_cancelled=*/false);
}

absl::StatusOr<JobRecord> SqliteJobStore::Complete(const LeaseRef& lease,
                                                   const std::string& result_json,
                                                   int64_t now_ms) {
  return UnderLease(
      lease, /*allow_cancelled=*/false,
      [&](const JobRecord& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<JobRecord> {
        BS_ASSIGN_OR_RETURN(Statement ins,
                            db_->Prepare("INSERT INTO results(job_id, result_json, created_ms) "
                                         "VALUES (?, ?, ?)"));
        ins.Bind(1, job.id).Bind(2, result_json).Bind(3, now_ms);
        BS_RETURN_IF_ERROR(ins.Run());
        BS_ASSIGN_OR_RETURN(Statement upd,
                            db_->Prepare("UPDATE jobs SET state = 'SUCCEEDED', finished_ms = ?, "
                                         "lease_expires_ms = 0 WHERE id = ?"));
        upd.Bind(1, now_ms).Bind(2, job.id);
        BS_RETURN_IF_ERROR(upd.Run());
        BS_RETURN_IF_ERROR(AppendStateEventLocked(job, JobState::kSucceeded, "result stored", now_ms));
        BS_RETURN_IF_ERROR(TouchWorkerLocked(lease.worker_id, "", now_ms));
        BS_ASSIGN_OR_RETURN(JobRecord done, GetJobLocked(job.id));
        return done;
      });
}

absl::StatusOr<JobRecord> SqliteJobStore::Fail(const LeaseRef& lease, const std::string& error,
                                               bool cancelled, int64_t now_ms) {
  return UnderLease(
      lease, /*allow_cancelled=*/true,
      [&](const JobRecord& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<JobRecord> {
        BS_RETURN_IF_ERROR(TouchWorkerLocked(lease.worker_id, "", now_ms));
        if (job.state == JobState::kCancelled) {  // already terminal: the worker acknowledges
          return job;
        }
        JobState state = cancelled ? JobState::kCancelled : JobState::kFailed;
        BS_ASSIGN_OR_RETURN(Statement upd,
                            db_->Prepare("UPDATE jobs SET state = ?, error = ?, finished_ms = ?, "
                                         "lease_expires_ms = 0 WHERE id = ?"));
        upd.Bind(1, std::string(JobStateName(state))).Bind(2, cancelled ? "" : error);
        upd.Bind(3, now_ms).Bind(4, job.id);
        BS_RETURN_IF_ERROR(upd.Run());
        BS_RETURN_IF_ERROR(AppendStateEventLocked(job, state, error, now_ms));
        BS_ASSIGN_OR_RETURN(JobRecord done, GetJobLocked(job.id));
        return done;
      });
}

absl::StatusOr<std::vector<JobRecord>> SqliteJobStore::ReapExpiredLeases(int64_t now_ms,
                                                                         int max_attempts) {
  return InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<std::vector<JobRecord>> {
    BS_ASSIGN_OR_RETURN(Statement find,
                        db_->Prepare(absl::StrCat("SELECT ", kJobColumns,
                                                  " FROM jobs j WHERE j.state = 'RUNNING' AND "
                                                  "j.lease_expires_ms < ?")));
    find.Bind(1, now_ms);
    BS_ASSIGN_OR_RETURN(std::vector<JobRecord> expired, ReadAllRows(find, ReadJobRow));
    std::vector<JobRecord> changed;
    for (const JobRecord& job : expired) {
      bool give_up = job.attempt >= max_attempts;
      // A worker that stops heartbeating on every attempt of the same job was, in practice,
      // killed by the kernel for memory (a crash of its own would have reported a failure).
      std::string message =
          give_up ? absl::StrCat("worker killed (probably out of memory): the lease of worker ",
                                 job.lease_owner, " expired without a heartbeat on attempt ",
                                 job.attempt, " of ", max_attempts,
                                 "; giving up (see the worker's --max-job-memory)")
                  : absl::StrCat("lease of worker ", job.lease_owner, " expired on attempt ",
                                 job.attempt, " of ", max_attempts, "; requeued");
      BS_ASSIGN_OR_RETURN(
          Statement upd,
          db_->Prepare(give_up ? "UPDATE jobs SET state = 'FAILED', error = ?, finished_ms = ?, "
                                 "lease_expires_ms = 0 WHERE id = ?"
                               : "UPDATE jobs SET state = 'QUEUED', error = ?, queued_ms = ?, "
                                 "lease_owner = '', lease_token = '', lease_expires_ms = 0 "
                                 "WHERE id = ?"));
      upd.Bind(1, give_up ? message : "").Bind(2, now_ms).Bind(3, job.id);
      BS_RETURN_IF_ERROR(upd.Run());
      BS_RETURN_IF_ERROR(AppendStateEventLocked(
          job, give_up ? JobState::kFailed : JobState::kQueued, message, now_ms));
      BS_ASSIGN_OR_RETURN(JobRecord after, GetJobLocked(job.id));
      changed.push_back(std::move(after));
    }
    return changed;
  });
}

absl::Status SqliteJobStore::GraceRunningLeases(int64_t now_ms, int64_t lease_ms) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement upd, PrepareLocked("UPDATE jobs SET lease_expires_ms = MAX(lease_expires_ms, ?) "
                                                   "WHERE state = 'RUNNING'"));
  upd.Bind(1, now_ms + lease_ms);
  return upd.Run();
}

absl::StatusOr<int64_t> SqliteJobStore::CountWorkersSeenSince(int64_t since_ms) {
  absl::MutexLock lock(&mu_);
  BS_ASSIGN_OR_RETURN(Statement stmt, PrepareLocked("SELECT COUNT(*) FROM workers WHERE last_seen_ms >= ?"));
  stmt.Bind(1, since_ms);
  BS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt(0) : 0;
}

}  // namespace bitsearch::server
