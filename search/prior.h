// The search's prior (Bayesian Bits, arXiv:2005.07093): loss = cross_entropy +
// mu * Compute(net), not divided by the dataset size.
// Behind an interface so the BOP-weighted prior of the paper and the hardware-aware (expected
// latency) prior plug in the same way. Priors read each quantizer's bit-width distribution
// (TensorQuantizerImpl::Distribution), not gates, so any quantizer that offers one can be priced.
// The priors a spec may name are in search/catalog.h; MakePrior builds them by the same names.
// Thread-safety: one thread, like the network.
#ifndef BITSEARCH_SEARCH_PRIOR_H_
#define BITSEARCH_SEARCH_PRIOR_H_

#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/latency_model.h"
#include "search/network.h"

namespace bitsearch {

class Prior {
 public:
  virtual ~Prior() = default;
  // Differentiable in the quantizers' own parameters (through their Distribution()).
  virtual torch::Tensor Compute(NetworkImpl& net) = 0;
};

// What a prior may need besides the network.
struct PriorInputs {
  const LatencyModel* latency = nullptr;  // the job's hardware profile ("latency" needs it)
  int max_bits = 8;                       // the search's highest bit width
};

// Builds the prior `name` (a search/catalog.h name of kind kPrior) for `net`.
// Errors: INVALID_ARGUMENT for an unknown name or a profile that cannot price a layer.
absl::StatusOr<std::unique_ptr<Prior>> MakePrior(const std::string& name, NetworkImpl& net,
                                                 const PriorInputs& inputs);
// The names MakePrior knows (checked against the catalog by a test).
std::vector<std::string> PriorFactoryNames();

// The latency table of LatencyPrior: every layer of `graph` at every (a, w) in {2..32}^2. Pairs
// the profile does not cover (a table measured at 2/4/8 only) take the row's highest latency, a
// pessimistic stand-in that max_bits keeps out of play anyway.
// Errors: INVALID_ARGUMENT naming a layer the profile cannot price at all.
absl::StatusOr<std::vector<std::array<std::array<double, 5>, 5>>> LatencyPriorTable(
    const Graph& graph, const LatencyModel& latency);

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

// P(bits = 2, 4, 8, 16, 32) of a quantizer from its step-up probabilities q ([4]).
torch::Tensor BitProbabilities(const torch::Tensor& q);

// MAC-weighted expected bits of the weights and of the activations (progress display).
std::pair<double, double> ExpectedBits(NetworkImpl& net);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PRIOR_H_
