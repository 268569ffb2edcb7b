// The search's prior (Bayesian Bits, arXiv:2005.07093): loss = cross_entropy +
// mu * Compute(net), not divided by the dataset size.
// Behind an interface so the BOP-weighted prior of the paper and the hardware-aware (expected
// latency) prior plug in the same way. Thread-safety: one thread, like the network.
#ifndef BITSEARCH_SEARCH_PRIOR_H_
#define BITSEARCH_SEARCH_PRIOR_H_

#include <torch/torch.h>

#include <array>
#include <vector>

#include "search/network.h"

namespace bitsearch {

class Prior {
 public:
  virtual ~Prior() = default;
  // Differentiable in the gates' log_alpha.
  virtual torch::Tensor Compute(NetworkImpl& net) = 0;
};

// Sum over quantizers of R = (1/C) sum_c q2_c (B(2) + q4 B(4) + q4 q8 B(8) + ...), with a constant
// 1 for the 2-bit term where there is no pruning gate, B(b) = b * MACs / max layer MACs, and an
// activation's MACs summed over the layers that consume it.
class BopsPrior : public Prior {
 public:
  explicit BopsPrior(NetworkImpl& net);
  torch::Tensor Compute(NetworkImpl& net) override;

 private:
  std::vector<double> weight_scale_;  // MACs / max MACs per layer
  std::vector<double> act_scale_;     // per activation quantizer
};

// Expected network latency under the gate probabilities, normalised by the latency at
// (max bits, max bits) everywhere: sum_layers E[keep] sum_(a,w) P(a) P(w) latency(layer, a, w).
// `table[layer][ai][wi]` holds the latency at bits {2,4,8,16,32}[ai], [wi].
class LatencyPrior : public Prior {
 public:
  using Table = std::vector<std::array<std::array<double, 5>, 5>>;
  LatencyPrior(NetworkImpl& net, Table table, int max_bits);
  torch::Tensor Compute(NetworkImpl& net) override;

 private:
  std::vector<torch::Tensor> tables_;  // [5, 5] per layer, already normalised
};

// P(bits = 2, 4, 8, 16, 32) of a quantizer from its gate probabilities q ([4]).
torch::Tensor BitProbabilities(const torch::Tensor& q);

// MAC-weighted expected bits of the weights and of the activations (progress display).
std::pair<double, double> ExpectedBits(NetworkImpl& net);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PRIOR_H_
