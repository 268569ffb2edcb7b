// Background housekeeping on the JobManager: requeues jobs whose lease expired (or fails them
// after the maximum number of attempts), refreshes the gauge metrics (jobs by state, connected
// workers), removes blobs past their retention period and, when given a DatasetManager, the chunks
// of data-set uploads that were never committed (DatasetManager::RemoveAbandonedUploads).
//
// Thread-safety: Start/Stop from one thread; RunOnce may be called from any thread (tests).
#ifndef BITSEARCH_SERVER_REAPER_H_
#define BITSEARCH_SERVER_REAPER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/dataset_manager.h"
#include "server/job_manager.h"

namespace bitsearch::server {

class Reaper {
 public:
  // `datasets` may be null (no upload cleaning).
  Reaper(JobManager* jobs, int interval_ms, DatasetManager* datasets = nullptr)
      : jobs_(jobs), datasets_(datasets), interval_ms_(interval_ms) {}
  ~Reaper() { Stop(); }

  void Start();
  // Stops the thread and waits for it; idempotent.
  void Stop();
  // One pass: reap expired leases, refresh gauges, clean up expired blobs and, when due, abandoned
  // uploads. Returns how many jobs the reaping changed.
  absl::StatusOr<int> RunOnce();

 private:
  void Loop();
  void CleanUploadsIfDue();

  JobManager* jobs_;
  DatasetManager* datasets_;
  const int interval_ms_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_upload_cleaning_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_REAPER_H_
