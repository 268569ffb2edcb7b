// Phase 6, once per requested baseline ("baseline:w8a8", ...): the baseline the spec names or
// describes, built by the registry, trained through the shared fine-tune (QAT) or quantized after
// training (PTQ), evaluated on the test split.
#include "absl/strings/str_format.h"
#include "search/pipeline/fixed_training.h"
#include "search/pipeline/phase.h"
#include "search/pipeline/registry.h"
#include "search/trainer.h"

namespace bitsearch {

Phase BaselinePhase(const BaselineSpec& baseline) {
  const std::string phase = "baseline:" + baseline.name;
  return {phase, [baseline, phase](JobContext& job) -> absl::StatusOr<std::string> {
    auto made = MakeBaseline(baseline);
    if (!made.ok()) return made.status();
    BaselineContext ctx;
    ctx.spec = &job.spec;
    ctx.graph = &job.folded_graph;
    ctx.train = &job.data.train;
    ctx.calibration = [&job](int64_t n) { return CalibrationSamples(job.data, n); };
    ctx.observer = job.observer;
    ctx.phase = phase;
    ctx.fp_state = job.fp_state;
    if (job.Resuming(phase) && !job.resume->model_state.empty()) {
      ctx.resume_state = job.resume->model_state;
    }
    ctx.new_network = [&job]() { return job.NewDefaultNetwork(); };
    ctx.finetune = [&job, &phase](NetworkImpl& net) { return FineTuneFixed(job, phase, net); };
    auto outcome = (*made)->Run(ctx);
    if (!outcome.ok()) return outcome.status();
    const double accuracy = Evaluate(*outcome->network, job.data.test).accuracy;
    job.state.baselines[baseline.name] = {accuracy, outcome->config, outcome->report};
    return absl::StrFormat("top-1 %.2f%%", accuracy);
  }};
}

}  // namespace bitsearch
