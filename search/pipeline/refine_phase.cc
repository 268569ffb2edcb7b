// Phase 4a: refinement of the searched configuration against the job's hardware profile, by the
// refine method the spec names (refine.method). Candidate configurations are measured on the
// searched network (its weights and ranges) fixed at them.
#include "absl/strings/str_cat.h"
#include "search/pipeline/phase.h"
#include "search/pipeline/registry.h"
#include "search/trainer.h"

namespace bitsearch {

absl::StatusOr<std::string> RunRefine(JobContext& job) {
  if (job.observer) job.observer->OnPhaseStart(kPhaseRefine, 0);
  auto method = MakeRefineMethod(job.spec.refine.method);
  if (!method.ok()) return method.status();
  const BitConfig searched = *job.state.config_searched;
  const std::string& searched_state = job.handoff_state;
  // Refinement decides on validation data only: the test split is what the result reports.
  const Split& validation = job.data.validation;
  const bool has_validation = validation.size() > 0;
  if (!has_validation && job.spec.refine.latency_budget && job.spec.refine.method != "none") {
    return absl::InvalidArgumentError(absl::StrCat(
        "refine.latency_budget: budget mode measures accuracy on the validation split, and this "
        "job has none (dataset.validation_fraction is ", job.spec.dataset.validation_fraction,
        " of ", job.data.train.size() + validation.size(),
        " training samples); raise dataset.validation_fraction or drop the budget"));
  }
  RefineContext ctx;
  ctx.spec = &job.spec;
  ctx.graph = &job.folded_graph;
  ctx.searched = &searched;
  ctx.latency = job.latency.get();
  if (has_validation) {
    ctx.evaluate = [&](const BitConfig& config) -> absl::StatusOr<refine::EvalPoint> {
      Network net = job.NewNetwork();
      LoadModule(*net, searched_state);
      net->SetFixed(config);
      EvalResult r = Evaluate(*net, validation);
      return refine::EvalPoint{r.loss, r.accuracy};
    };
  }
  ctx.log = [&job](const std::string& line) { job.Log(line); };
  auto outcome = (*method)->Refine(ctx);
  if (!outcome.ok()) return outcome.status();
  job.state.config_final = outcome->config;
  job.state.refine = outcome->report;
  // Fine-tuning starts from the searched network (handoff_state unchanged), fixed at the result.
  return outcome->report.applied
             ? outcome->report.summary
             : absl::StrCat("skipped (refine.method ", job.spec.refine.method, ")");
}

}  // namespace bitsearch
