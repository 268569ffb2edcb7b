// Cross-layer equalization and high-bias absorption (data-free quantization, arXiv 1906.04721,
// section 4) on a BN-folded float network.
//
// Equalization rescales output channel i of a layer by 1/s_i and the matching input channel of
// the next layer by s_i, which leaves the function unchanged wherever only positively homogeneous
// operations sit between them: ReLU, max / average pooling (global too), flatten, identity.
// Pairs (r1, r2 = weight ranges of channel i in both layers) get s = sqrt(r1 / r2), both ranges
// becoming sqrt(r1 r2); conv -> depthwise -> conv triplets get c = (r1 r2 r3)^(1/3),
// s12 = r1 / c, s23 = c / r3. Residual adds, concatenation and fan-out end a chain. We also
// equalize across flatten into linear layers and between linear layers (the reference stops at
// Linear; the scaling commutes there just the same). Sweeps repeat until no scale moves more
// than the tolerance. ReLU6 (Clip(0, 6)) does not commute with scaling: its pairs are left out,
// or (replace_relu6) the ReLU6 is replaced by ReLU, which changes the function.
//
// High-bias absorption then moves c = max(0, beta - 3 |gamma|) (beta, gamma: the layer's output
// statistics, layer_stats.h, scaled by the equalization) from a layer's bias through its ReLU into
// the next layer's bias: b1 -= c, b2 += sum over W2's spatial positions of W2 c. Exact where the
// pre-activation stays above c (the 3-sigma assumption) and the next conv has no zero padding.
//
// Thread-safety: functions drive a network from the calling thread.
#ifndef BITSEARCH_SEARCH_PTQ_CLE_H_
#define BITSEARCH_SEARCH_PTQ_CLE_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "search/graph.h"
#include "search/network.h"
#include "search/ptq/layer_stats.h"
#include "search/ptq/ptq_options.h"

namespace bitsearch {

// Two consecutive layers whose joining channels can be rescaled.
struct CleLink {
  int producer = -1;                 // graph node of the first layer
  int consumer = -1;                 // graph node of the second layer
  std::vector<int> path;             // nodes between them
  int64_t features_per_channel = 1;  // linear consumer after a flatten: features per channel
  bool through_relu = false;         // a ReLU on the path (high-bias absorption applies)
  std::vector<int> relu6;            // ReLU6 nodes on the path
};

// What equalization did, for the job's result.
struct CleReport {
  std::vector<std::string> chains;          // "conv1 -> conv2", "a -> dw -> b"
  std::vector<std::string> relu6_left_out;  // pairs not equalized because of a ReLU6
  std::vector<std::string> relu6_replaced;  // ReLU6 nodes replaced by ReLU
  int iterations = 0;                       // sweeps run
  double last_change = 0;                   // largest |s - 1| of the last sweep
  int64_t absorbed_channels = 0;            // channels with c > 0
  std::vector<std::string> absorbed;        // links where high bias was absorbed
};

// The links of a graph, in topological order. With `replace_relu6` false, links through a ReLU6
// are not returned (their names go to `left_out` when given).
std::vector<CleLink> FindCleLinks(const Graph& graph, bool replace_relu6,
                                  std::vector<std::string>* left_out = nullptr);

// Per-channel weight ranges: max |W| of each output channel, and of each input channel of a
// consumer as `link` joins it (columns of a linear layer grouped by features_per_channel).
torch::Tensor OutputChannelRanges(NetworkImpl& net, int layer);
torch::Tensor InputChannelRanges(NetworkImpl& net, const CleLink& link);

// Rescales the channels joining `link`: producer output channel i divided by s_i (weights, bias
// and `stats` of the producer), consumer input channel i multiplied by s_i.
void ScaleLink(NetworkImpl& net, const CleLink& link, const torch::Tensor& s, LayerStats* stats);

struct CleResult {
  Network network;  // the input network, or a copy with ReLU6 replaced by ReLU
  CleReport report;
};

// Equalizes `net` (quantizers unused: weights and biases only) and, when the options ask and
// `stats` has the producer's statistics, absorbs high biases. `stats` follows the rescaling.
CleResult EqualizeCrossLayer(Network net, const CleOptions& options, LayerStats* stats);

// High-bias absorption alone, over `links` (exposed for tests).
void AbsorbHighBias(NetworkImpl& net, const std::vector<CleLink>& links, LayerStats* stats,
                    CleReport* report);

// Rescales every link's channels by factors drawn log-uniformly from [lo, hi] (seeded): the
// function stays the same, the per-tensor ranges do not. Tests and acceptance runs use it to
// build a network that per-tensor quantization fails on.
void RescaleChannelsRandomly(NetworkImpl& net, double lo, double hi, uint64_t seed);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_CLE_H_
