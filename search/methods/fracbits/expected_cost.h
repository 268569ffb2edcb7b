// FracBits' resource cost as a differentiable function of the real bit widths: each tensor's
// width is read as a two-point distribution over its neighbouring grid widths (GridWeights), and
// the cost is its expectation over independent weight and activation widths:
//  - relative BOPs (the paper's figure, percent): 100 sum_l MACs_l E[b_w] E[b_a] / (sum MACs 32 32);
//    E[b] is the blended width lambda itself, nothing is pruned;
//  - latency on a profile: sum_l sum_(a, w) P(a) P(w) latency(l, a, w), which for one layer is the
//    bilinear blend of the four table entries around (lambda_a, lambda_w).
// The regulariser is kappa |cost / target - 1|: the deviation relative to the target, so that one
// kappa means the same for a BOPs percentage and a latency in cycles.
// Thread-safety: stateless.
#ifndef BITSEARCH_SEARCH_METHODS_FRACBITS_EXPECTED_COST_H_
#define BITSEARCH_SEARCH_METHODS_FRACBITS_EXPECTED_COST_H_

#include <torch/torch.h>

#include <array>
#include <vector>

namespace bitsearch::fracbits {

// latency[a][w]: the layer's latency at activation width kGrid[a] and weight width kGrid[w].
using LatencyGrid = std::array<std::array<double, 4>, 4>;

// P(width = kGrid[k]) of a tensor whose widths are `bits` (a scalar, or [C] per output channel:
// the channels' mean, the share of the layer at each width). Shape [4].
torch::Tensor WidthProbabilities(const torch::Tensor& bits);

// Expected relative BOPs in percent. `macs[l]` per layer; `weight_probs[l]`, `act_probs[l]`: [4]
// (WidthProbabilities) of the layer's weights and of its input activation.
torch::Tensor ExpectedRelativeBops(const std::vector<double>& macs,
                                   const std::vector<torch::Tensor>& weight_probs,
                                   const std::vector<torch::Tensor>& act_probs);

// Expected latency in the profile's unit.
torch::Tensor ExpectedLatency(const std::vector<LatencyGrid>& latency,
                              const std::vector<torch::Tensor>& weight_probs,
                              const std::vector<torch::Tensor>& act_probs);

// kappa |cost / target - 1| (target > 0).
torch::Tensor TargetRegularizer(const torch::Tensor& cost, double target, double kappa);

}  // namespace bitsearch::fracbits

#endif  // BITSEARCH_SEARCH_METHODS_FRACBITS_EXPECTED_COST_H_
