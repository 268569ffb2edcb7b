#include "search/cost.h"

#include <numeric>
#include <stdexcept>

namespace bitsearch {
namespace {

double Fraction(const std::vector<uint8_t>& mask) {
  if (mask.empty()) return 1.0;
  return static_cast<double>(std::accumulate(mask.begin(), mask.end(), 0)) / mask.size();
}

}  // namespace

CostSummary ComputeCosts(const Graph& graph, const BitConfig& config) {
  const std::vector<int> layers = graph.Layers();
  if (layers.size() != config.layers.size()) {
    throw std::invalid_argument("ComputeCosts: bit config does not match the graph's layers");
  }
  // Which channels of every node's output survive: pruned channels of a producer make the
  // consumer's matching input channels dead too (the paper's keep_ratio).
  std::vector<std::vector<uint8_t>> alive(graph.nodes.size());
  std::vector<int> layer_index(graph.nodes.size(), -1);
  for (size_t k = 0; k < layers.size(); ++k) layer_index[layers[k]] = static_cast<int>(k);

  CostSummary summary;
  double bops = 0, full = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    const int64_t channels = n.out_shape.empty() ? 1 : n.out_shape[0];
    if (n.op == Op::kInput) {
      alive[i].assign(channels, 1);
      continue;
    }
    const std::vector<uint8_t>& in = alive[n.inputs[0]];
    if (n.IsLayer()) {
      const LayerBits& b = config.layers[layer_index[i]];
      std::vector<uint8_t> keep = b.keep.empty() ? std::vector<uint8_t>(n.out_channels, 1) : b.keep;
      if (b.weight_bits == 0) keep.assign(n.out_channels, 0);
      const bool depthwise = n.op == Op::kConv && n.groups == n.in_channels && n.groups > 1;
      if (depthwise) {
        for (int64_t c = 0; c < n.out_channels; ++c) {
          keep[c] = keep[c] && in[c * n.in_channels / n.out_channels];
        }
      }
      LayerCost cost;
      cost.name = n.name;
      cost.type = OpName(n.op);
      cost.weight_bits = b.weight_bits;
      cost.act_bits = b.act_bits;
      cost.channels = n.out_channels;
      cost.channels_kept = std::accumulate(keep.begin(), keep.end(), int64_t{0});
      cost.macs = LayerMacs(graph, static_cast<int>(i));
      const double in_frac = depthwise ? 1.0 : Fraction(in);
      cost.keep_ratio = Fraction(keep) * in_frac;
      const int64_t weights = n.out_channels * (n.in_channels / n.groups) * n.kernel_h * n.kernel_w;
      cost.params = weights + (n.bias ? n.out_channels : 0);
      const int64_t kept_weights = static_cast<int64_t>(weights * cost.keep_ratio + 0.5);
      cost.size_bytes = (kept_weights * b.weight_bits + 7) / 8 + (n.bias ? 4 * cost.channels_kept : 0);
      bops += static_cast<double>(b.act_bits) * b.weight_bits * cost.keep_ratio * cost.macs;
      full += static_cast<double>(cost.macs) * 32 * 32;
      summary.size_fp32_bytes += 4 * cost.params;
      summary.size_bytes += cost.size_bytes;
      summary.layers.push_back(cost);
      alive[i] = keep;
      continue;
    }
    switch (n.op) {
      case Op::kFlatten: {
        // Each channel becomes H*W features.
        const auto& shape = graph.nodes[n.inputs[0]].out_shape;
        int64_t per = 1;
        for (size_t d = 1; d < shape.size(); ++d) per *= shape[d];
        for (uint8_t a : in) alive[i].insert(alive[i].end(), per, a);
        break;
      }
      case Op::kAdd: {
        alive[i] = in;
        for (size_t k = 1; k < n.inputs.size(); ++k) {
          const auto& other = alive[n.inputs[k]];
          for (size_t c = 0; c < alive[i].size(); ++c) alive[i][c] = alive[i][c] || other[c];
        }
        break;
      }
      default:  // channel-preserving
        alive[i] = in;
    }
  }
  summary.relative_bops_percent = full > 0 ? 100.0 * bops / full : 0.0;
  return summary;
}

}  // namespace bitsearch
