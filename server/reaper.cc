#include "server/reaper.h"

#include <algorithm>
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
  CleanUploadsIfDue();
  return reaped;
}

void Reaper::CleanUploadsIfDue() {
  if (datasets_ == nullptr || datasets_->limits().upload_idle_ms <= 0) return;
  const int64_t idle_ms = datasets_->limits().upload_idle_ms;
  {
    // A walk of the chunk folder: a quarter of the timeout apart (an abandoned upload goes at
    // most 25% after its timeout), at most every reaper pass and at least every 10 minutes.
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now < next_upload_cleaning_) return;
    next_upload_cleaning_ = now + absl::Milliseconds(std::max<int64_t>(interval_ms_, std::min<int64_t>(idle_ms / 4, 600'000)));
  }
  // A failure is logged, not returned: it must not stop the reaping of leases (nor the server's
  // start), and the next pass tries again.
  absl::StatusOr<AbandonedUploads> removed = datasets_->RemoveAbandonedUploads(/*at_start=*/false);
  if (!removed.ok()) {
    std::cerr << "bitsearch-server: reaper: cleaning abandoned uploads: " << removed.status() << "\n";
  } else if (removed->Any()) {
    std::cerr << "bitsearch-server: reaper: " << DescribeAbandonedUploads(*removed, idle_ms) << "\n";
  }
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
