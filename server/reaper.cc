#include "server/reaper.h"

#include <iostream>

#include "absl/time/time.h"
#include "server/status_macros.h"

namespace bitsearch::server {

void Reaper::Start() {
  absl::MutexLock lock(&mu_);
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Reaper::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> Reaper::RunOnce() {
  int64_t now = sc_.clock->NowMs();
  BS_ASSIGN_OR_RETURN(std::vector<JobRecord> changed,
                      sc_.store->ReapExpiredLeases(now, sc_.max_attempts));
  for (const JobRecord& job : changed) {
    if (IsTerminal(job.state)) {
      int64_t from = job.started_ms > 0 ? job.started_ms : job.created_ms;
      sc_.metrics->ObserveJobFinished(job.state, (job.finished_ms - from) / 1000.0);
    }
    sc_.hub->Notify(job.id);
  }
  BS_ASSIGN_OR_RETURN(auto counts, sc_.store->CountJobsByState());
  sc_.metrics->SetJobsByState(counts);
  BS_ASSIGN_OR_RETURN(int64_t workers, sc_.store->CountWorkersSeenSince(now - sc_.lease_ms));
  sc_.metrics->SetConnectedWorkers(workers);
  return static_cast<int>(changed.size());
}

void Reaper::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(interval_ms_));
      if (stopping_) return;
    }
    absl::StatusOr<int> reaped = RunOnce();
    if (!reaped.ok()) std::cerr << "bitsearch-server: reaper: " << reaped.status() << "\n";
    if (reaped.ok() && *reaped > 0) {
      std::cerr << "bitsearch-server: reaper: " << *reaped << " expired lease(s) handled\n";
    }
  }
}

}  // namespace bitsearch::server
