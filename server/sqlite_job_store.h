// ServerStore (JobStore + LeaseQueue + ProfileStore + SweepStore + DatasetStore) on one SQLite
// file (WAL, busy timeout, migrated schema, integrity-checked at open). The implementation is split
// by concern: sqlite_job_store.cc (jobs, events, results), sqlite_lease_ops.cc (leases, workers,
// reaping), sqlite_profiles.cc (profiles), sqlite_sweeps.cc (sweeps and job dependencies),
// sqlite_datasets.cc (uploaded data sets). Events are stored as serialized bitsearch.v1.JobEvent.
//
// Thread-safety: every method takes mu_; one connection serves the whole server. WAL checkpoints
// run on a background connection (wal_checkpointer.h), outside mu_.
#ifndef BITSEARCH_SERVER_SQLITE_JOB_STORE_H_
#define BITSEARCH_SERVER_SQLITE_JOB_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "server/job_store.h"
#include "server/sqlite_db.h"
#include "server/sqlite_rows.h"
#include "server/wal_checkpointer.h"

namespace bitsearch::server {

class SqliteJobStore : public ServerStore {
 public:
  // Opens or creates the database at `path`, checks its integrity (FAILED_PRECONDITION naming the
  // file for a corrupt or non-SQLite file) and migrates it to the latest schema.
  static absl::StatusOr<std::unique_ptr<SqliteJobStore>> Open(const std::string& path);

  absl::StatusOr<JobRecord> CreateJob(const NewJob& job, int64_t now_ms,
                                      bool* deduplicated) override;
  absl::StatusOr<JobRecord> GetJob(const std::string& id) override;
  absl::StatusOr<JobPage> ListJobs(std::optional<JobState> state, int64_t cursor, int limit,
                                   const std::string& owner) override;
  absl::StatusOr<JobRecord> CancelJob(const std::string& id, int64_t now_ms) override;
  absl::StatusOr<std::string> GetResult(const std::string& id) override;
  absl::StatusOr<std::vector<JobEvent>> ReadEvents(const std::string& id, int64_t after_sequence,
                                                   int limit) override;
  absl::StatusOr<std::map<JobState, int64_t>> CountJobsByState() override;
  absl::StatusOr<std::vector<JobRecord>> ListJobsWithExpiredBlobs(int64_t before_ms,
                                                                  int limit) override;
  absl::Status ClearJobBlobs(const std::string& id) override;

  absl::StatusOr<std::optional<JobRecord>> LeaseNext(const std::string& worker_id,
                                                     const std::string& lease_token, int64_t now_ms,
                                                     int64_t lease_ms) override;
  absl::StatusOr<HeartbeatReply> Heartbeat(const LeaseRef& lease, int64_t now_ms,
                                           int64_t lease_ms) override;
  absl::StatusOr<bool> AppendWorkerEvents(const LeaseRef& lease, std::vector<JobEvent> events,
                                          int64_t now_ms) override;
  absl::StatusOr<std::string> SetCheckpoint(const LeaseRef& lease, const std::string& blob,
                                            int64_t size, int64_t now_ms) override;
  absl::StatusOr<JobRecord> CheckLease(const LeaseRef& lease) override;
  absl::StatusOr<JobRecord> Complete(const LeaseRef& lease, const std::string& result_json,
                                     int64_t now_ms) override;
  absl::StatusOr<JobRecord> Fail(const LeaseRef& lease, const std::string& error, bool cancelled,
                                 int64_t now_ms) override;
  absl::StatusOr<std::vector<JobRecord>> ReapExpiredLeases(int64_t now_ms,
                                                           int max_attempts) override;

  absl::Status GraceRunningLeases(int64_t now_ms, int64_t lease_ms) override;
  absl::StatusOr<int64_t> CountWorkersSeenSince(int64_t since_ms) override;

  absl::Status PutProfile(const Profile& profile, int64_t now_ms) override;
  absl::StatusOr<Profile> GetProfile(const std::string& name) override;
  absl::StatusOr<std::vector<Profile>> ListProfiles() override;

  absl::StatusOr<SweepRow> CreateSweep(const NewSweep& sweep, const std::vector<NewJob>& jobs,
                                       int64_t now_ms, bool* deduplicated) override;
  absl::StatusOr<SweepRow> GetSweep(const std::string& id) override;
  absl::StatusOr<std::vector<JobRecord>> ListSweepJobs(const std::string& sweep_id) override;
  absl::StatusOr<SweepPage> ListSweeps(int64_t cursor, int limit, const std::string& owner) override;
  absl::StatusOr<std::vector<JobRecord>> CancelSweep(const std::string& id, int64_t now_ms) override;
  absl::StatusOr<std::vector<JobRecord>> FailBlockedJobs(int64_t now_ms) override;

  absl::Status PutDataset(const DatasetRecord& dataset) override;
  absl::StatusOr<DatasetRecord> GetDatasetByName(const std::string& name) override;
  absl::StatusOr<DatasetRecord> GetDatasetByDigest(const std::string& digest) override;
  absl::StatusOr<std::vector<DatasetRecord>> ListDatasets() override;

  absl::Status Close() override;

 private:
  explicit SqliteJobStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  absl::Status CheckOpen() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A statement on the open database: CheckOpen, then Prepare (what every read starts with).
  absl::StatusOr<Statement> PrepareLocked(absl::string_view sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Every write that must be all or nothing: runs `body` (returning a Status or StatusOr) with
  // mu_ held inside one IMMEDIATE transaction, committed when `body` succeeds and rolled back
  // (by ~Transaction) when it fails. UNAVAILABLE once the store is closed.
  template <typename Body, typename Result = std::invoke_result_t<Body&>>
  Result InTransaction(Body body) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    BS_RETURN_IF_ERROR(CheckOpen());
    Transaction tx(db_.get());
    BS_RETURN_IF_ERROR(tx.status());
    Result result = body();
    if (!result.ok()) return result;
    BS_RETURN_IF_ERROR(tx.Commit());
    return result;
  }

  // InTransaction for a worker's call under `lease`: `body` gets the leased job
  // (CheckLeaseLocked: the lease must be current, the job RUNNING or, when allowed, CANCELLED).
  template <typename Body, typename Result = std::invoke_result_t<Body&, JobRecord>>
  Result UnderLease(const LeaseRef& lease, bool allow_cancelled, Body body) ABSL_LOCKS_EXCLUDED(mu_) {
    return InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> Result {
      BS_ASSIGN_OR_RETURN(JobRecord job, CheckLeaseLocked(lease, allow_cancelled));
      return body(std::move(job));
    });
  }

  // A create that a client may retry with the same client_request_id (jobs, sweeps): in one
  // transaction, the record made before (`select` and `read` find it; *deduplicated = true) or
  // else the one `insert` makes. FindRetriedCreate (sqlite_rows.h) refuses a reused id.
  template <typename New, typename Read, typename Insert,
            typename Row = std::invoke_result_t<Read, const Statement&>>
  absl::StatusOr<Row> CreateOnce(const std::string& select, Read read, const New& request,
                                 absl::string_view kind, bool* deduplicated, Insert insert)
      ABSL_LOCKS_EXCLUDED(mu_) {
    *deduplicated = false;
    return InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<Row> {
      BS_ASSIGN_OR_RETURN(std::optional<Row> existing, FindRetriedCreate(*db_, select, read, request, kind));
      if (!existing) return insert();
      *deduplicated = true;
      return *std::move(existing);
    });
  }

  absl::StatusOr<JobRecord> GetJobLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inserts a QUEUED job with its first event (inside the caller's transaction).
  absl::StatusOr<JobRecord> InsertJobLocked(const NewJob& job, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inserts a sweep and its QUEUED jobs (inside the caller's transaction).
  absl::StatusOr<SweepRow> InsertSweepLocked(const NewSweep& sweep, const std::vector<NewJob>& jobs,
                                             int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<SweepRow> GetSweepLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<JobRecord>> ListSweepJobsLocked(const std::string& sweep_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Assigns the next sequence number of `job_id` to `event` and stores it.
  absl::Status AppendEventLocked(const std::string& job_id, JobEvent event, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendStateEventLocked(const JobRecord& job, JobState state,
                                      const std::string& message, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The job if `lease` is its current lease and the job RUNNING (or CANCELLED when allowed).
  absl::StatusOr<JobRecord> CheckLeaseLocked(const LeaseRef& lease, bool allow_cancelled)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status TouchWorkerLocked(const std::string& worker_id, const std::string& job_id,
                                 int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<WalCheckpointer> checkpointer_;  // set once in Open, stopped in Close
};

// Column list and row reader shared by the store's files.
extern const char kJobColumns[];
JobRecord ReadJobRow(const Statement& stmt);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_SQLITE_JOB_STORE_H_
