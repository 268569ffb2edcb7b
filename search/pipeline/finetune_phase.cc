// Phase 4b: fine-tuning at the final configuration (after refinement) from the searched network
// (or from the AdaRound phase's network when finetune.method rounds), then the test-split
// accuracy the result reports as final. With finetune.method "adaround" (0 epochs) it only
// measures.
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "search/pipeline/fixed_training.h"
#include "search/pipeline/phase.h"
#include "search/trainer.h"

namespace bitsearch {

absl::StatusOr<std::string> RunFinetune(JobContext& job) {
  Network net = job.NewFinalNetwork();
  LoadModule(*net, job.StartState(kPhaseFinetune, job.handoff_state));
  net->SetFixed(*job.state.config_final);  // after loading: refined bits may differ from the gates
  BS_RETURN_IF_ERROR(FineTuneFixed(job, kPhaseFinetune, *net));
  const double accuracy = Evaluate(*net, job.data.test).accuracy;
  job.state.accuracy_final = accuracy;
  // The export phase writes this network; without one nothing needs it any more.
  job.handoff_state = job.options.export_dir.empty() ? "" : SerializeModule(*net);
  return absl::StrFormat("top-1 %.2f%%", accuracy);
}

}  // namespace bitsearch
