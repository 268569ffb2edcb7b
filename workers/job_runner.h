// Drives the job pipeline for one process: the thread count, a checkpoint store, and a
// cancellation flag that a signal handler or a heartbeat can raise. The embedded CLI and the
// worker both run jobs through this, so a job behaves the same in both.
//
// Thread-safety: Cancel() may be called from any thread (or a signal handler); Run() from one.
#ifndef BITSEARCH_WORKERS_JOB_RUNNER_H_
#define BITSEARCH_WORKERS_JOB_RUNNER_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/observer.h"
#include "search/pipeline/pipeline.h"
#include "search/spec.h"

namespace bitsearch {

// Keeps the latest checkpoint in one file, replaced atomically (temp file + fsync + rename), so
// a crash mid-write leaves the previous checkpoint intact.
class FileCheckpointStore : public CheckpointStore {
 public:
  explicit FileCheckpointStore(std::string path) : path_(std::move(path)) {}
  absl::Status Save(const std::string& bytes) override;
  absl::StatusOr<std::optional<std::string>> Load() override;
  // Deletes the checkpoint (after a job completes); missing is fine.
  absl::Status Remove();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class JobRunner {
 public:
  explicit JobRunner(RunOptions options) : options_(std::move(options)) {}

  // Runs the job; returns CANCELLED (after a checkpoint) once Cancel() was called.
  absl::StatusOr<nlohmann::json> Run(const JobSpec& spec, JobObserver* observer,
                                     CheckpointStore* checkpoints);
  // Async-signal-safe: only sets a flag that the pipeline polls between steps.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  RunOptions options_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace bitsearch

#endif  // BITSEARCH_WORKERS_JOB_RUNNER_H_
