// Phase 3: the search, by the method the spec names (search.method). The method trains and
// decides; this phase hands it the range-initialised network, saves its checkpoints (its own state
// included), evaluates the searched configuration on the test split and records it.
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "search/cost.h"
#include "search/pipeline/phase.h"
#include "search/trainer.h"

namespace bitsearch {

absl::StatusOr<std::string> RunSearch(JobContext& job) {
  SearchContext ctx;
  ctx.spec = &job.spec;
  ctx.graph = &job.folded_graph;
  ctx.train = &job.data.train;
  ctx.calibration = [&job](int64_t n) { return CalibrationSamples(job.data, n); };
  ctx.latency = job.latency.get();
  ctx.observer = job.observer;
  ctx.phase = kPhaseSearch;
  ctx.start_state = job.StartState(kPhaseSearch, job.handoff_state);
  if (job.ResumingMidPhase(kPhaseSearch)) {
    ctx.resume = SearchResumePoint{job.ResumeCursor(), job.ResumeOptimizerState()};
    BS_RETURN_IF_ERROR(job.method->LoadState(job.state.method_state));
  }
  ctx.new_network = [&job]() { return job.NewNetwork(); };
  ctx.save = [&job](const PhaseCursor& cursor, torch::nn::Module* net,
                    torch::optim::Optimizer* optimizer) {
    job.state.method_state = job.method->SaveState();
    return job.SaveInPhase(kPhaseSearch, cursor, net, optimizer);
  };
  auto outcome = job.method->Search(ctx);
  if (!outcome.ok()) return outcome.status();
  const double accuracy = Evaluate(*outcome->network, job.data.test).accuracy;
  const double bops = ComputeCosts(job.folded_graph, outcome->config).relative_bops_percent;
  job.state.accuracy_searched = accuracy;
  job.state.config_searched = outcome->config;
  job.state.method_state = job.method->SaveState();
  if (!outcome->report.is_null()) job.state.ptq_report = outcome->report;
  job.handoff_state = SerializeModule(*outcome->network);
  return absl::StrFormat("searched top-1 %.2f%% at %.3f%% relative BOPs", accuracy, bops);
}

}  // namespace bitsearch
