// Phase 4a (finetune.method "adaround" or "adaround+qat"): AdaRound of the searched network's
// weights at the final bits (after refinement), pruned channels kept pruned, on the job's
// calibration samples (dataset.calibration, else the training split;
// search/ptq/searched_rounding.h). It hands the fine-tune phase a network of post-training
// quantizers with the rounding written into its weights; with "adaround+qat" it also measures
// that network, so the result shows what the fine-tune after it added.
#include "absl/strings/str_format.h"
#include "search/pipeline/phase.h"
#include "search/ptq/searched_rounding.h"
#include "search/trainer.h"

namespace bitsearch {

absl::StatusOr<std::string> RunAdaRound(JobContext& job) {
  const FinetuneSpec& f = job.spec.finetune;
  Network searched = job.NewNetwork();
  LoadModule(*searched, job.handoff_state);
  searched->SetFixed(*job.state.config_final);
  searched->eval();
  AdaRoundOptions options;
  options.enabled = true;
  options.iterations = f.adaround_iterations;
  options.seed = job.spec.search.seed;
  const torch::Tensor calibration = CalibrationSamples(job.data, f.calibration_samples);
  PtqProgress progress = ObserveAdaRound(job.observer, kPhaseAdaRound, job.folded_graph, options);
  auto out = RoundSearchedNetwork(*searched, calibration, *job.state.config_final, options,
                                  progress);
  if (!out.ok()) return out.status();
  job.state.adaround = PtqReportToJson(out->report);
  std::string summary = absl::StrFormat("%d layers rounded on %d samples",
                                        out->report.rounding.size(), calibration.size(0));
  if (f.epochs > 0) {  // the fine-tune phase measures the network itself otherwise
    job.state.accuracy_adaround = Evaluate(*out->network, job.data.test).accuracy;
    summary += absl::StrFormat(", top-1 %.2f%%", *job.state.accuracy_adaround);
  }
  job.handoff_state = SerializeModule(*out->network);
  return summary;
}

}  // namespace bitsearch
