#include "server/reaper.h"

#include <iostream>

#include "absl/time/time.h"
#include "base/status_macros.h"

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
  BS_ASSIGN_OR_RETURN(int reaped, jobs_->ReapExpiredLeases());
  BS_RETURN_IF_ERROR(jobs_->RefreshGauges());
  BS_ASSIGN_OR_RETURN(int cleaned, jobs_->RemoveExpiredBlobs());
  if (cleaned > 0) {
    std::cerr << "bitsearch-server: reaper: removed the models and checkpoints of " << cleaned
              << " job(s) past their retention period\n";
  }
  return reaped;
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
