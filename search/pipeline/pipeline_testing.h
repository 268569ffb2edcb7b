// Test helpers for jobs run through RunJob: a checkpoint store in memory and an observer that
// records what the job did and can ask it to stop. For tests only (bitsearch::pipeline_testing).
#ifndef BITSEARCH_SEARCH_PIPELINE_PIPELINE_TESTING_H_
#define BITSEARCH_SEARCH_PIPELINE_PIPELINE_TESTING_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "search/observer.h"

namespace bitsearch {

// LibTorch threads of a job in a test. One: `ctest -j2` runs two tests at once on CI's two cores,
// and a second thread per job then only spins waiting for the first (measured on a LeNet-5 job:
// three times the CPU time, and longer, than one thread).
inline constexpr int kTestThreads = 1;

// Keeps every checkpoint saved. Load() serves `resume_from` when set, else the latest one.
class MemoryCheckpointStore : public CheckpointStore {
 public:
  absl::Status Save(const std::string& bytes) override;
  absl::StatusOr<std::optional<std::string>> Load() override;
  const std::string& latest() const;

  std::vector<std::string> saved;
  std::optional<std::string> resume_from;
};

// A result's "baselines" without their times ("seconds", also in a post-training report): what
// two runs of one spec must agree on.
nlohmann::json BaselinesWithoutTimes(const nlohmann::json& result);

// Records phases and progress; asks the job to stop once `stop_phase` reaches `stop_step`.
class RecordingObserver : public JobObserver {
 public:
  RecordingObserver() = default;
  RecordingObserver(std::string stop_phase, int64_t stop_step)
      : stop_phase_(std::move(stop_phase)), stop_step_(stop_step) {}

  void OnPhaseStart(const std::string& phase, int64_t total_steps) override;
  void OnProgress(const Progress& progress) override;
  void OnPhaseEnd(const std::string& phase, double seconds, const std::string& summary) override;
  void OnLog(const std::string& line) override;
  bool CancelRequested() override { return stop_; }

  std::vector<std::string> started;       // OnPhaseStart, in order
  std::vector<std::string> ended;         // OnPhaseEnd, in order
  std::set<std::string> progressed;       // phases that reported training progress
  std::vector<std::string> logs;
  int64_t resumed_at = -1;                // the step of the first sample after a resume

 private:
  std::string stop_phase_;
  int64_t stop_step_ = 0;
  bool stop_ = false;
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_PIPELINE_TESTING_H_
