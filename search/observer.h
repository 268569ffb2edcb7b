// Ports through which a running job talks to whoever drives it (the embedded CLI and the worker
// are two adapters of this one interface, so a job behaves the same in both).
//
// Thread-safety: the pipeline calls an observer and a checkpoint store from the one thread that
// runs the job; CancelRequested() may read state that other threads set (use atomics there).
#ifndef BITSEARCH_SEARCH_OBSERVER_H_
#define BITSEARCH_SEARCH_OBSERVER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bitsearch {

// Phase names, in the order a job runs them (a baseline runs as "baseline:w8a8" and so on).
inline constexpr char kPhasePretrain[] = "pretrain";
inline constexpr char kPhaseRangeInit[] = "range_init";
inline constexpr char kPhaseSearch[] = "search";
inline constexpr char kPhaseRefine[] = "refine";
inline constexpr char kPhaseAdaRound[] = "adaround";  // finetune.method "adaround..." only
inline constexpr char kPhaseFinetune[] = "finetune";
inline constexpr char kPhaseExport[] = "export";
inline constexpr char kPhaseEvaluate[] = "evaluate";

// One progress sample. Fields that do not apply to a phase stay at their defaults.
struct Progress {
  std::string phase;
  int epoch = 0;               // 1-based epoch within the phase
  int epochs = 0;              // epochs the phase runs
  int64_t step = 0;            // optimizer steps done in this phase
  int64_t total_steps = 0;     // optimizer steps the phase will run
  double loss = 0;             // running mean of the training loss over the epoch so far
  double accuracy = -1;        // running training top-1 in percent, -1 if unknown
  double expected_weight_bits = 0;  // search only: MAC-weighted expected bits under the gates
  double expected_act_bits = 0;
  double relative_bops_percent = -1;  // search only: at the current test-time decisions
  bool resumed = false;        // true on the first sample after resuming from a checkpoint
};

class JobObserver {
 public:
  virtual ~JobObserver() = default;
  // A phase begins; total_steps is 0 for phases that are not step-based.
  virtual void OnPhaseStart(const std::string& phase, int64_t total_steps) {
    (void)phase;
    (void)total_steps;
  }
  // Called every few steps and at every epoch end.
  virtual void OnProgress(const Progress& progress) { (void)progress; }
  // A phase ended after `seconds`; `summary` is one human-readable line.
  virtual void OnPhaseEnd(const std::string& phase, double seconds, const std::string& summary) {
    (void)phase;
    (void)seconds;
    (void)summary;
  }
  // Free-text notes worth showing a user (a resumed step, a fallback taken).
  virtual void OnLog(const std::string& line) { (void)line; }
  // Polled between steps; true makes the job save a checkpoint and return CANCELLED.
  virtual bool CancelRequested() { return false; }
};

// Where checkpoints go: a file for the embedded CLI, the server's blob store for a worker.
class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;
  // Stores `bytes` as the latest checkpoint, replacing any older one atomically.
  virtual absl::Status Save(const std::string& bytes) = 0;
  // The latest checkpoint, or nullopt when there is none.
  virtual absl::StatusOr<std::optional<std::string>> Load() = 0;
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_OBSERVER_H_
