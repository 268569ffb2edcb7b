// Background housekeeping: requeues jobs whose lease expired (or fails them after the maximum
// number of attempts) and refreshes the gauge metrics (jobs by state, connected workers).
//
// Thread-safety: Start/Stop from one thread; RunOnce may be called from any thread (tests).
#ifndef BITSEARCH_SERVER_REAPER_H_
#define BITSEARCH_SERVER_REAPER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/rpc_context.h"

namespace bitsearch::server {

class Reaper {
 public:
  Reaper(const ServiceContext& context, int interval_ms)
      : sc_(context), interval_ms_(interval_ms) {}
  ~Reaper() { Stop(); }

  void Start();
  // Stops the thread and waits for it; idempotent.
  void Stop();
  // One pass: reap expired leases, refresh gauges. Returns how many jobs it changed.
  absl::StatusOr<int> RunOnce();

 private:
  void Loop();

  const ServiceContext& sc_;
  const int interval_ms_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_REAPER_H_
