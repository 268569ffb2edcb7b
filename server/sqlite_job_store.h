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
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/job_store.h"
#include "server/sqlite_db.h"
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
  absl::StatusOr<JobRecord> GetJobLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inserts a QUEUED job with its first event (inside the caller's transaction).
  absl::StatusOr<JobRecord> InsertJobLocked(const NewJob& job, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
