// One leased job as the worker runs it: the JobObserver adapter that queues progress events for
// the server, the CheckpointStore adapter that moves checkpoints in chunks, and the background
// thread that sends queued events and heartbeats and learns of cancellation.
//
// Thread-safety: the pipeline thread calls the observer and the checkpoint store; the session
// thread sends; shared state is under mu_ or atomic.
#ifndef BITSEARCH_WORKERS_WORKER_SESSION_H_
#define BITSEARCH_WORKERS_WORKER_SESSION_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "workers/worker.h"

namespace bitsearch {

class WorkerSession : public JobObserver, public CheckpointStore {
 public:
  WorkerSession(bitsearch::v1::WorkerService::Stub* stub, const WorkerOptions& options,
                const bitsearch::v1::LeaseResponse& lease);
  ~WorkerSession() override;

  // Starts the heartbeat/event thread.
  void Start();
  // Flushes queued events (retrying while the server is away) and stops the thread.
  void Finish();

  // JobObserver
  void OnPhaseStart(const std::string& phase, int64_t total_steps) override;
  void OnProgress(const Progress& progress) override;
  void OnPhaseEnd(const std::string& phase, double seconds, const std::string& summary) override;
  void OnLog(const std::string& line) override;
  bool CancelRequested() override { return cancel_requested_.load() || lease_lost_.load(); }

  // CheckpointStore
  absl::Status Save(const std::string& bytes) override;
  absl::StatusOr<std::optional<std::string>> Load() override;

  bool cancel_requested() const { return cancel_requested_.load(); }
  // The server no longer recognises this lease (reaped and re-leased): drop the job silently.
  bool lease_lost() const { return lease_lost_.load(); }

 private:
  void Enqueue(bitsearch::v1::JobEvent event, bool urgent);
  void Loop();
  // Sends queued events; false when the server could not be reached.
  bool SendEvents();
  void SendHeartbeat();
  // Interprets a failed call: a lost lease stops the job.
  void NoteFailure(const grpc::Status& status, const char* what);

  bitsearch::v1::WorkerService::Stub* stub_;
  const WorkerOptions& options_;
  const bitsearch::v1::LeaseRef lease_;
  const bool has_checkpoint_;
  const double heartbeat_s_;
  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> lease_lost_{false};
  int64_t last_reported_step_ = -1;  // pipeline thread only
  int last_reported_epoch_ = 0;      // pipeline thread only
  absl::Mutex mu_;
  std::vector<bitsearch::v1::JobEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool urgent_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_WORKERS_WORKER_SESSION_H_
