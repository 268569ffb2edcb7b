// Internal to the refinement: the working state shared by the freebie pass and budget mode.
// Holds the current bits, the consumer groups of each activation tensor and a cache of layer
// latencies per bit pair, so each (layer, a, w) is asked of the model once. Not thread-safe
// (one refinement owns one state).
#ifndef BITSEARCH_SEARCH_REFINE_REFINE_STATE_H_
#define BITSEARCH_SEARCH_REFINE_REFINE_STATE_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "search/refine/freebits.h"

namespace bitsearch::refine::internal {

class RefineState {
 public:
  // Validates the problem and indexes it.
  static absl::StatusOr<RefineState> Create(const RefineProblem& problem,
                                            const LatencyModel& model);

  // Latency of layer l at (a, w), kept fraction applied; 0 for pruned layers. +inf when the
  // model cannot price the pair (the caller then skips that option).
  double LayerLatency(int l, int a, int w);
  // Sum over the consumers of tensor t at act bits a, each at its current weight bits.
  double GroupLatency(int t, int a);
  double TotalLatency();
  std::vector<double> PerLayerLatency();
  // OK when every layer's current pair is priced (errors name the layer).
  absl::Status CheckCurrentPriced();

  // Candidate bits strictly above / the largest strictly below `bits` (0 when none).
  std::vector<int> CandidatesAbove(int bits) const;
  int NextLowerCandidate(int bits) const;

  BitConfig Config() const;
  bool LayerActive(int l) const { return active_[l]; }

  const RefineProblem& problem() const { return *problem_; }
  int num_layers() const { return static_cast<int>(weight_bits_.size()); }
  int num_tensors() const { return static_cast<int>(act_bits_.size()); }
  const std::vector<int>& consumers(int t) const { return consumers_[t]; }
  int tensor_of(int l) const { return tensor_of_[l]; }
  bool frozen(int t) const { return problem_->act_tensors[t].frozen; }

  std::vector<int> weight_bits_;  // current, per layer
  std::vector<int> act_bits_;     // current, per tensor

 private:
  RefineState(const RefineProblem& problem, const LatencyModel& model)
      : problem_(&problem), model_(&model) {}

  const RefineProblem* problem_;
  const LatencyModel* model_;
  std::vector<int> tensor_of_;
  std::vector<std::vector<int>> consumers_;  // active layers per tensor
  std::vector<bool> active_;                 // not pruned
  std::vector<int> candidates_;              // sorted, unique
  // cache_[l][a * 33 + w]; NaN = not asked yet. Sparse per layer to stay small for big nets.
  std::vector<std::vector<std::pair<int, double>>> cache_;
  std::vector<absl::Status> errors_;         // first lookup error per layer, for messages
};

// One freebie pass over every activation group; returns true when anything changed.
// Appends a move per bit change. Never raises total latency, never lowers a bit width.
bool FreebiePass(RefineState& state, std::vector<RefineMove>& moves);

// Budget mode (see freebits.h); fills the budget-related fields of `result`.
absl::Status RunBudgetMode(RefineState& state, const RefineOptions& options, const EvalFn& eval,
                           RefineResult& result);

// "strictly lower" with a relative tolerance, so rounding noise never triggers a change.
inline bool StrictlyLower(double candidate, double current) {
  return candidate < current - 1e-12 * (current > 0 ? current : -current);
}

}  // namespace bitsearch::refine::internal

#endif  // BITSEARCH_SEARCH_REFINE_REFINE_STATE_H_
