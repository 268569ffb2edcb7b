// The server's persistent state, split by concern into interfaces that one database implements
// (sqlite_job_store.h): JobStore (jobs, their event logs and results), LeaseQueue (leases,
// workers, reaping; lease_queue.h), ProfileStore (profile_store.h), SweepStore (sweep_store.h)
// and DatasetStore (uploaded data sets; dataset_store.h). ServerStore
// bundles them for the server, which takes it by interface (a PostgreSQL store could replace the
// SQLite one).
//
// Errors: NOT_FOUND for an unknown job or profile, FAILED_PRECONDITION for a job in the wrong
// state, ALREADY_EXISTS for a reused request id, UNAVAILABLE once closed.
// Thread-safety: implementations are safe to call from any thread.
#ifndef BITSEARCH_SERVER_JOB_STORE_H_
#define BITSEARCH_SERVER_JOB_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/dataset_store.h"
#include "server/job_records.h"
#include "server/lease_queue.h"
#include "server/profile_store.h"
#include "server/sweep_store.h"

namespace bitsearch::server {

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Inserts a QUEUED job (with its first event). With a client_request_id seen before, returns
  // the earlier job and `deduplicated` = true, or ALREADY_EXISTS if its spec or owner differs.
  virtual absl::StatusOr<JobRecord> CreateJob(const NewJob& job, int64_t now_ms,
                                              bool* deduplicated) = 0;
  virtual absl::StatusOr<JobRecord> GetJob(const std::string& id) = 0;
  // Newest first, starting below `cursor` (0 = from the newest); `state` filters when set, and
  // `owner` when not empty.
  virtual absl::StatusOr<JobPage> ListJobs(std::optional<JobState> state, int64_t cursor,
                                           int limit, const std::string& owner) = 0;
  // QUEUED/RUNNING -> CANCELLED; FAILED_PRECONDITION when already terminal.
  virtual absl::StatusOr<JobRecord> CancelJob(const std::string& id, int64_t now_ms) = 0;
  // FAILED_PRECONDITION while the job has no result.
  virtual absl::StatusOr<std::string> GetResult(const std::string& id) = 0;
  // Events with sequence > after_sequence, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<JobEvent>> ReadEvents(const std::string& id,
                                                           int64_t after_sequence, int limit) = 0;
  virtual absl::StatusOr<std::map<JobState, int64_t>> CountJobsByState() = 0;

  // Terminal jobs that finished before `before_ms` and still point at an uploaded model or a
  // checkpoint (retention clean-up), at most `limit`.
  virtual absl::StatusOr<std::vector<JobRecord>> ListJobsWithExpiredBlobs(int64_t before_ms,
                                                                          int limit) = 0;
  // Forgets the job's model and checkpoint blobs (after they were removed).
  virtual absl::Status ClearJobBlobs(const std::string& id) = 0;
};

class ServerStore : public JobStore, public LeaseQueue, public ProfileStore, public SweepStore,
                    public DatasetStore {
 public:
  // Flushes and closes; later calls fail with UNAVAILABLE.
  virtual absl::Status Close() = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_JOB_STORE_H_
