// One phase of a job: pretraining, range initialisation, the search, refinement, AdaRound (when
// finetune.method asks for it), fine-tuning,
// export and one phase per baseline. A phase is a name and a function over the JobContext; the
// driver (pipeline.cc) runs them in order, skips those a resumed job already finished, times them,
// and writes a boundary checkpoint after each. A phase checkpoints inside itself through
// JobContext::SaveInPhase.
// Thread-safety: phases run one at a time on the job's thread.
#ifndef BITSEARCH_SEARCH_PIPELINE_PHASE_H_
#define BITSEARCH_SEARCH_PIPELINE_PHASE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "search/baseline_spec.h"
#include "search/pipeline/job_context.h"

namespace bitsearch {

// Runs a phase from its start or from the checkpoint it stopped at: writes its figures into
// job.state and leaves in job.handoff_state the network the next phase starts from. Returns the
// one-line summary the observer gets.
using PhaseFn = std::function<absl::StatusOr<std::string>(JobContext& job)>;

struct Phase {
  std::string name;  // for done-marks, checkpoints, timings and observer events
  PhaseFn run;
};

// The phases, one file each.
absl::StatusOr<std::string> RunPretrain(JobContext& job);    // pretrain_phase.cc
absl::StatusOr<std::string> RunRangeInit(JobContext& job);   // range_init_phase.cc
absl::StatusOr<std::string> RunSearch(JobContext& job);      // search_phase.cc
absl::StatusOr<std::string> RunRefine(JobContext& job);      // refine_phase.cc
absl::StatusOr<std::string> RunAdaRound(JobContext& job);    // adaround_phase.cc
absl::StatusOr<std::string> RunFinetune(JobContext& job);    // finetune_phase.cc
absl::StatusOr<std::string> RunExport(JobContext& job);      // export_phase.cc
// The baseline `baseline`, run as phase "baseline:NAME" (baseline_phase.cc).
Phase BaselinePhase(const BaselineSpec& baseline);
// compare_methods' other method `method`, run as phase "compare:METHOD" (compare_phase.cc).
Phase ComparePhase(const std::string& method);
// The target the job's own method ran with, for its comparison row (null but for FracBits).
nlohmann::json OwnComparisonTarget(const JobSpec& spec);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_PHASE_H_
