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
  const Split& split = job.data.validation.size() > 0 ? job.data.validation : job.data.test;
  RefineContext ctx;
  ctx.spec = &job.spec;
  ctx.graph = &job.folded_graph;
  ctx.searched = &searched;
  ctx.latency = job.latency.get();
  ctx.evaluate = [&](const BitConfig& config) -> absl::StatusOr<refine::EvalPoint> {
    Network net = job.NewNetwork();
    LoadModule(*net, searched_state);
    net->SetFixed(config);
    EvalResult r = Evaluate(*net, split);
    return refine::EvalPoint{r.loss, r.accuracy};
  };
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
