// The freebie pass of Free Bits (arXiv:2307.02894), extended to shared activations: an activation
// read by several layers gets one bit width, decided over all its consumers (the reference code
// lets the last consumer win).
//
// Layers partition by their input activation tensor, and a layer's latency depends only on its
// own weight bits and that tensor's bits, so each tensor's group can be decided on its own:
// for every act width a' >= a (a' = a included) each consumer independently takes its best
// weight width w' >= w, and the group takes the a' with the lowest summed latency. The reference
// code decides per layer and lets the last consumer of a shared tensor win; deciding over the
// sum is what guarantees that total latency never goes up.
#include <vector>

#include "absl/strings/str_cat.h"
#include "search/refine/refine_state.h"

namespace bitsearch::refine::internal {
namespace {

// The best weight width for layer l at act width a: among w' >= w (current w included) the
// lowest latency; the current width stays unless another is strictly faster, and among equally
// fast faster options the higher precision wins (it costs nothing and may help accuracy).
int BestWeight(RefineState& s, int l, int a, const std::vector<int>& above, double* latency) {
  const int w = s.weight_bits_[l];
  int best_w = w;
  double best = s.LayerLatency(l, a, w);
  for (int c : above) {
    const double v = s.LayerLatency(l, a, c);
    if (StrictlyLower(v, best) || (!StrictlyLower(best, v) && best_w != w && c > best_w)) {
      best = v;
      best_w = c;
    }
  }
  *latency = best;
  return best_w;
}

// Every consumer's best weight width at act width a (BestWeight) into `weights`; returns the
// group's summed latency with those widths.
double BestWeights(RefineState& s, const std::vector<int>& consumers, int a,
                   std::vector<int>* weights) {
  weights->clear();
  double sum = 0.0;
  for (int l : consumers) {
    double v;
    weights->push_back(BestWeight(s, l, a, s.CandidatesAbove(s.weight_bits_[l]), &v));
    sum += v;
  }
  return sum;
}

}  // namespace

bool FreebiePass(RefineState& s, std::vector<RefineMove>& moves) {
  bool changed = false;
  double total = s.TotalLatency();  // kept up to date by group deltas, not recomputed
  std::vector<int> best_weights;
  std::vector<int> weights;
  for (int t = 0; t < s.num_tensors(); ++t) {
    const std::vector<int>& consumers = s.consumers(t);
    if (consumers.empty()) continue;
    const int a = s.act_bits_[t];
    const double old_sum = s.GroupLatency(t, a);
    // Option a' = a: only weights move.
    double best_sum = BestWeights(s, consumers, a, &best_weights);
    int best_a = a;
    if (!s.frozen(t)) {
      for (int a2 : s.CandidatesAbove(a)) {
        const double sum = BestWeights(s, consumers, a2, &weights);
        // Strictly lower, or equally fast at higher precision once we are moving anyway.
        if (StrictlyLower(sum, best_sum) ||
            (!StrictlyLower(best_sum, sum) && best_a != a && a2 > best_a)) {
          best_sum = sum;
          best_a = a2;
          best_weights = weights;
        }
      }
    }
    bool group_changed = best_a != a;
    for (size_t i = 0; i < consumers.size(); ++i) {
      group_changed |= best_weights[i] != s.weight_bits_[consumers[i]];
    }
    if (!group_changed) continue;
    changed = true;
    const size_t first_move = moves.size();
    if (best_a != a) {
      moves.push_back(RefineMove{"freebie", "act", s.problem().act_tensors[t].id, a, best_a, 0.0,
                                 std::nullopt});
      s.act_bits_[t] = best_a;
    }
    for (size_t i = 0; i < consumers.size(); ++i) {
      const int l = consumers[i];
      if (best_weights[i] == s.weight_bits_[l]) continue;
      moves.push_back(RefineMove{"freebie", "weight", s.problem().layers[l].name,
                                 s.weight_bits_[l], best_weights[i], 0.0, std::nullopt});
      s.weight_bits_[l] = best_weights[i];
    }
    total += best_sum - old_sum;
    for (size_t m = first_move; m < moves.size(); ++m) moves[m].total_latency_after = total;
  }
  return changed;
}

}  // namespace bitsearch::refine::internal
