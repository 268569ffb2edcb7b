// Hardware-independent costs of a quantized network: MACs, keep ratios after pruning, relative
// BOPs (the Bayesian Bits paper's figure, arXiv:2005.07093: sum of b_a * b_w * keep ratio * MACs
// over sum of MACs * 32 * 32, in percent) and model size. Torch-free.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_COST_H_
#define BITSEARCH_SEARCH_COST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "search/bit_config.h"
#include "search/graph.h"

namespace bitsearch {

struct LayerCost {
  std::string name;
  std::string type;           // "conv" | "linear"
  int weight_bits = 32;
  int act_bits = 32;
  int64_t channels = 0;       // output channels
  int64_t channels_kept = 0;
  int64_t macs = 0;           // per sample, unpruned
  double keep_ratio = 1.0;    // kept output channels x kept input channels (fractions)
  int64_t params = 0;         // weights + biases, unpruned
  int64_t size_bytes = 0;     // kept weights at weight_bits (rounded up) + kept biases as fp32
};

struct CostSummary {
  std::vector<LayerCost> layers;
  double relative_bops_percent = 0;  // sum b_a b_w keep MACs / (sum MACs * 32 * 32), in percent
  int64_t size_fp32_bytes = 0;
  int64_t size_bytes = 0;
};

// `config` must name the graph's layers in order (layers may carry empty keep = all kept).
CostSummary ComputeCosts(const Graph& graph, const BitConfig& config);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_COST_H_
