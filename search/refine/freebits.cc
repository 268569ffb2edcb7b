#include "search/refine/freebits.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "search/refine/refine_state.h"

namespace bitsearch::refine {

absl::StatusOr<RefineResult> RefineFreeBits(const RefineProblem& problem,
                                            const LatencyModel& model,
                                            const RefineOptions& options, const EvalFn& eval) {
  if (options.latency_budget && !(*options.latency_budget >= 0.0)) {
    return absl::InvalidArgumentError("latency_budget: must be >= 0");
  }
  if (!(options.max_accuracy_drop >= 0.0)) {
    return absl::InvalidArgumentError("max_accuracy_drop: must be >= 0");
  }
  absl::StatusOr<internal::RefineState> state = internal::RefineState::Create(problem, model);
  if (!state.ok()) return state.status();
  internal::RefineState& s = *state;
  if (absl::Status st = s.CheckCurrentPriced(); !st.ok()) return st;

  RefineResult result;
  result.latency_before = s.TotalLatency();
  if (options.freebie) {
    // One pass already reaches the best point within each group; repeating costs one cheap pass
    // and keeps the promise if a future change makes passes interact.
    for (int round = 0; round < options.max_rounds && internal::FreebiePass(s, result.moves);
         ++round) {
    }
  }
  const double after_freebie = s.TotalLatency();
  std::string summary = absl::StrFormat("freebie: %g -> %g %s", result.latency_before,
                                        after_freebie, model.unit());
  if (options.latency_budget && after_freebie > *options.latency_budget) {
    if (absl::Status st = internal::RunBudgetMode(s, options, eval, result); !st.ok()) return st;
    summary += "; " + result.summary;
  } else if (options.latency_budget) {
    summary += absl::StrFormat("; budget %g met without lowering precision",
                               *options.latency_budget);
  }
  result.config = s.Config();
  result.layer_latency = s.PerLayerLatency();
  result.latency_after = s.TotalLatency();
  result.steps = static_cast<int>(result.moves.size());
  result.feasible = !options.latency_budget || result.latency_after <= *options.latency_budget;
  result.summary = summary;
  return result;
}

absl::StatusOr<std::vector<double>> ConfigLayerLatency(const RefineProblem& problem,
                                                       const LatencyModel& model,
                                                       const BitConfig& config) {
  absl::StatusOr<internal::RefineState> state = internal::RefineState::Create(problem, model);
  if (!state.ok()) return state.status();
  if (config.weight_bits.size() != problem.layers.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "config has %d weight widths for %d layers", config.weight_bits.size(),
        problem.layers.size()));
  }
  state->weight_bits_ = config.weight_bits;
  for (int t = 0; t < state->num_tensors(); ++t) {
    auto it = config.act_bits.find(problem.act_tensors[t].id);
    if (it != config.act_bits.end()) state->act_bits_[t] = it->second;
  }
  if (absl::Status st = state->CheckCurrentPriced(); !st.ok()) return st;
  return state->PerLayerLatency();
}

}  // namespace bitsearch::refine
