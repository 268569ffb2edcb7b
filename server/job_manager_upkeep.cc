// JobManager, upkeep: the reaper's passes (expired leases, gauges, retention clean-up).
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/job_manager.h"

namespace bitsearch::server {
namespace {

constexpr int kCleanUpBatch = 100;

}  // namespace

absl::Status JobManager::GraceRunningLeases(int64_t grace_ms) {
  return store_->GraceRunningLeases(clock_->NowMs(), grace_ms);
}

absl::StatusOr<int> JobManager::ReapExpiredLeases() {
  BS_ASSIGN_OR_RETURN(std::vector<JobRecord> changed,
                      store_->ReapExpiredLeases(clock_->NowMs(), options_.max_attempts));
  for (const JobRecord& job : changed) JobFinished(job);  // requeued ones only notify
  BS_RETURN_IF_ERROR(FailBlockedJobs());
  return static_cast<int>(changed.size());
}

absl::Status JobManager::RefreshGauges() {
  BS_ASSIGN_OR_RETURN(auto counts, store_->CountJobsByState());
  metrics_->SetJobsByState(counts);
  BS_ASSIGN_OR_RETURN(int64_t workers,
                      store_->CountWorkersSeenSince(clock_->NowMs() - options_.lease_ms));
  metrics_->SetConnectedWorkers(workers);
  return absl::OkStatus();
}

absl::StatusOr<int> JobManager::RemoveExpiredBlobs() {
  if (options_.retention_ms <= 0) return 0;
  int cleaned = 0;
  while (true) {
    BS_ASSIGN_OR_RETURN(
        std::vector<JobRecord> jobs,
        store_->ListJobsWithExpiredBlobs(clock_->NowMs() - options_.retention_ms, kCleanUpBatch));
    for (const JobRecord& job : jobs) {
      // The files first: a crash in between leaves a record that the next pass cleans again.
      for (const std::string* blob : {&job.model_blob, &job.checkpoint_blob}) {
        if (!blob->empty()) BS_RETURN_IF_ERROR(blobs_->Remove(*blob));
      }
      BS_RETURN_IF_ERROR(store_->ClearJobBlobs(job.id));
      ++cleaned;
    }
    if (static_cast<int>(jobs.size()) < kCleanUpBatch) return cleaned;
  }
}

}  // namespace bitsearch::server
