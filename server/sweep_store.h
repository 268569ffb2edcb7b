// The sweeps part of the server's store (job_store.h): a sweep row with the jobs it expanded into,
// created in one transaction; its jobs listed, cancelled together; and the jobs whose dependency
// (a sweep's pretraining) failed, failed with its reason.
//
// Errors: NOT_FOUND for an unknown sweep, FAILED_PRECONDITION for a sweep whose jobs all finished
// (cancel), ALREADY_EXISTS for a reused request id, UNAVAILABLE once closed.
// Thread-safety: implementations are safe to call from any thread.
#ifndef BITSEARCH_SERVER_SWEEP_STORE_H_
#define BITSEARCH_SERVER_SWEEP_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/job_records.h"

namespace bitsearch::server {

class SweepStore {
 public:
  virtual ~SweepStore() = default;

  // Inserts the sweep and its jobs (QUEUED, each with its first event, sweep_id filled in). With a
  // client_request_id seen before, returns the earlier sweep and `deduplicated` = true, or
  // ALREADY_EXISTS if its spec or owner differs.
  virtual absl::StatusOr<SweepRow> CreateSweep(const NewSweep& sweep, const std::vector<NewJob>& jobs,
                                               int64_t now_ms, bool* deduplicated) = 0;
  virtual absl::StatusOr<SweepRow> GetSweep(const std::string& id) = 0;
  // The sweep's jobs in the order they were created (its pretraining jobs first).
  virtual absl::StatusOr<std::vector<JobRecord>> ListSweepJobs(const std::string& sweep_id) = 0;
  // Newest first, below `cursor` (0 = from the newest); `owner` filters when not empty.
  virtual absl::StatusOr<SweepPage> ListSweeps(int64_t cursor, int limit, const std::string& owner) = 0;
  // Marks the sweep cancelled and cancels its QUEUED and RUNNING jobs (running ones stop at their
  // next heartbeat); returns those jobs after the change.
  virtual absl::StatusOr<std::vector<JobRecord>> CancelSweep(const std::string& id, int64_t now_ms) = 0;
  // FAILs every QUEUED job whose dependency ended FAILED or CANCELLED, with the dependency's
  // reason; returns them after the change.
  virtual absl::StatusOr<std::vector<JobRecord>> FailBlockedJobs(int64_t now_ms) = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_SWEEP_STORE_H_
