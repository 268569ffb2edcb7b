// Background housekeeping on the JobManager: requeues jobs whose lease expired (or fails them
// after the maximum number of attempts), refreshes the gauge metrics (jobs by state, connected
// workers) and removes blobs past their retention period.
//
// Thread-safety: Start/Stop from one thread; RunOnce may be called from any thread (tests).
#ifndef BITSEARCH_SERVER_REAPER_H_
#define BITSEARCH_SERVER_REAPER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/job_manager.h"

namespace bitsearch::server {

class Reaper {
 public:
  Reaper(JobManager* jobs, int interval_ms) : jobs_(jobs), interval_ms_(interval_ms) {}
  ~Reaper() { Stop(); }

  void Start();
  // Stops the thread and waits for it; idempotent.
  void Stop();
  // One pass: reap expired leases, refresh gauges, clean up expired blobs. Returns how many jobs
  // the reaping changed.
  absl::StatusOr<int> RunOnce();

 private:
  void Loop();

  JobManager* jobs_;
  const int interval_ms_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_REAPER_H_
