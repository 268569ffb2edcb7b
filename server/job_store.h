// The server's persistent state behind one interface: jobs, their event logs, results, leases,
// workers and latency profiles. The SQLite implementation is the only writer of the database
// (ARCHITECTURE.md); a PostgreSQL one could replace it behind the same interface.
//
// Errors: NOT_FOUND for an unknown job or profile, FAILED_PRECONDITION for a call that does not
// hold the current lease or a job in the wrong state, ALREADY_EXISTS for a reused request id.
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
#include "bitsearch/v1/jobs.pb.h"

namespace bitsearch::server {

// Job states as stored ("QUEUED", ...), in the order of bitsearch.v1.JobState.
enum class JobState { kQueued = 1, kRunning, kSucceeded, kFailed, kCancelled };
const char* JobStateName(JobState state);
std::optional<JobState> ParseJobState(const std::string& name);
bool IsTerminal(JobState state);

struct JobRecord {
  int64_t seq = 0;               // insertion order (the pagination cursor)
  std::string id;
  std::string name;
  JobState state = JobState::kQueued;
  std::string spec_json;
  std::string client_request_id;
  std::string model_blob;        // blob name of the uploaded ONNX model, "" when none
  std::string checkpoint_blob;   // blob name of the latest checkpoint, "" when none
  int64_t checkpoint_size = 0;
  int64_t created_ms = 0;
  int64_t queued_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int attempt = 0;
  std::string lease_owner;
  int64_t lease_expires_ms = 0;
  bool cancel_requested = false;
  std::string error;
  std::string phase;
  int64_t last_sequence = 0;
  bool has_result = false;
};

struct NewJob {
  std::string id;
  std::string name;
  std::string spec_json;
  std::string client_request_id;  // "" = no idempotency key
  std::string model_blob;
};

// Identifies one lease: only calls naming the current owner and attempt are accepted.
struct LeaseRef {
  std::string worker_id;
  std::string job_id;
  int attempt = 0;
};

struct JobPage {
  std::vector<JobRecord> jobs;
  int64_t next_cursor = 0;  // 0 = no further page
};

struct HeartbeatReply {
  bool cancel_requested = false;
  int64_t lease_expires_ms = 0;
};

struct Profile {
  std::string name;
  std::string format;
  std::string content;
  int64_t updated_ms = 0;
  int64_t size_bytes = 0;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Inserts a QUEUED job (with its first event). With a client_request_id seen before, returns
  // the earlier job and `deduplicated` = true, or ALREADY_EXISTS if its spec differs.
  virtual absl::StatusOr<JobRecord> CreateJob(const NewJob& job, int64_t now_ms,
                                              bool* deduplicated) = 0;
  virtual absl::StatusOr<JobRecord> GetJob(const std::string& id) = 0;
  // Newest first, starting below `cursor` (0 = from the newest); `state` filters when set.
  virtual absl::StatusOr<JobPage> ListJobs(std::optional<JobState> state, int64_t cursor,
                                           int limit) = 0;
  // QUEUED/RUNNING -> CANCELLED; FAILED_PRECONDITION when already terminal.
  virtual absl::StatusOr<JobRecord> CancelJob(const std::string& id, int64_t now_ms) = 0;
  // FAILED_PRECONDITION while the job has no result.
  virtual absl::StatusOr<std::string> GetResult(const std::string& id) = 0;
  // Events with sequence > after_sequence, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<bitsearch::v1::JobEvent>> ReadEvents(
      const std::string& id, int64_t after_sequence, int limit) = 0;

  // Hands the oldest QUEUED job to `worker_id` (attempt + 1); nullopt when the queue is empty.
  virtual absl::StatusOr<std::optional<JobRecord>> LeaseNext(const std::string& worker_id,
                                                             int64_t now_ms,
                                                             int64_t lease_ms) = 0;
  // Extends the lease; reports cancellation (a cancelled job keeps answering its last owner).
  virtual absl::StatusOr<HeartbeatReply> Heartbeat(const LeaseRef& lease, int64_t now_ms,
                                                   int64_t lease_ms) = 0;
  // Appends worker events (sequence numbers assigned here); returns cancel_requested.
  virtual absl::StatusOr<bool> AppendWorkerEvents(const LeaseRef& lease,
                                                  std::vector<bitsearch::v1::JobEvent> events,
                                                  int64_t now_ms) = 0;
  // Points the job at a new checkpoint blob; returns the blob it replaced ("" if none).
  virtual absl::StatusOr<std::string> SetCheckpoint(const LeaseRef& lease, const std::string& blob,
                                                    int64_t size, int64_t now_ms) = 0;
  // Checks the lease and returns the job (its checkpoint_blob may be empty).
  virtual absl::StatusOr<JobRecord> CheckLease(const LeaseRef& lease) = 0;
  virtual absl::StatusOr<JobRecord> Complete(const LeaseRef& lease, const std::string& result_json,
                                             int64_t now_ms) = 0;
  virtual absl::StatusOr<JobRecord> Fail(const LeaseRef& lease, const std::string& error,
                                         bool cancelled, int64_t now_ms) = 0;
  // Requeues RUNNING jobs whose lease expired before now_ms, or fails them once they used
  // `max_attempts` leases; returns the jobs it changed (after the change).
  virtual absl::StatusOr<std::vector<JobRecord>> ReapExpiredLeases(int64_t now_ms,
                                                                   int max_attempts) = 0;

  // Extends every RUNNING lease to expire no earlier than now_ms + lease_ms (server startup: the
  // workers were alive, the server was not; give them time to reconnect).
  virtual absl::Status GraceRunningLeases(int64_t now_ms, int64_t lease_ms) = 0;

  virtual absl::StatusOr<std::map<JobState, int64_t>> CountJobsByState() = 0;
  // Workers that called Lease or Heartbeat at or after `since_ms`.
  virtual absl::StatusOr<int64_t> CountWorkersSeenSince(int64_t since_ms) = 0;

  virtual absl::Status PutProfile(const Profile& profile, int64_t now_ms) = 0;
  virtual absl::StatusOr<Profile> GetProfile(const std::string& name) = 0;
  // Without content, sorted by name.
  virtual absl::StatusOr<std::vector<Profile>> ListProfiles() = 0;

  // Flushes and closes; later calls fail with UNAVAILABLE.
  virtual absl::Status Close() = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_JOB_STORE_H_
