// The queue of jobs as workers see it: leases (owner, attempt, lease token, expiry), heartbeats,
// worker events, checkpoints, completion, and the reaping of expired leases. Part of the server's
// store (job_store.h).
//
// Errors: FAILED_PRECONDITION for a call that does not hold the current lease (another worker id
// or attempt, or the job is no longer running), PERMISSION_DENIED when the worker id and attempt
// match but the lease token does not (someone else's lease).
// Thread-safety: implementations are safe to call from any thread.
#ifndef BITSEARCH_SERVER_LEASE_QUEUE_H_
#define BITSEARCH_SERVER_LEASE_QUEUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/job_records.h"

namespace bitsearch::server {

class LeaseQueue {
 public:
  virtual ~LeaseQueue() = default;

  // Hands the oldest QUEUED job to `worker_id` (attempt + 1) under the secret `lease_token`;
  // nullopt when the queue is empty.
  virtual absl::StatusOr<std::optional<JobRecord>> LeaseNext(const std::string& worker_id,
                                                             const std::string& lease_token,
                                                             int64_t now_ms, int64_t lease_ms) = 0;
  // Extends the lease; reports cancellation (a cancelled job keeps answering its last owner).
  virtual absl::StatusOr<HeartbeatReply> Heartbeat(const LeaseRef& lease, int64_t now_ms,
                                                   int64_t lease_ms) = 0;
  // Appends worker events (sequence numbers assigned here); returns cancel_requested.
  virtual absl::StatusOr<bool> AppendWorkerEvents(const LeaseRef& lease,
                                                  std::vector<JobEvent> events,
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
  // `max_attempts` leases (a worker that dies on every attempt was most likely killed for memory,
  // and the error says so); returns the jobs it changed (after the change).
  virtual absl::StatusOr<std::vector<JobRecord>> ReapExpiredLeases(int64_t now_ms,
                                                                   int max_attempts) = 0;
  // Extends every RUNNING lease to expire no earlier than now_ms + lease_ms (server startup: the
  // workers were alive, the server was not; give them time to reconnect).
  virtual absl::Status GraceRunningLeases(int64_t now_ms, int64_t lease_ms) = 0;
  // Workers that called Lease or Heartbeat at or after `since_ms`.
  virtual absl::StatusOr<int64_t> CountWorkersSeenSince(int64_t since_ms) = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_LEASE_QUEUE_H_
