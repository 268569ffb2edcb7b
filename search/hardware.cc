#include "search/hardware.h"

#include "search/cost.h"

namespace bitsearch {
namespace {

std::string ActTensorId(const Graph& graph, int layer) {
  return graph.nodes[graph.nodes[layer].inputs[0]].name;
}

}  // namespace

LayerSignature SignatureOf(const Graph& graph, int layer) {
  const Node& n = graph.nodes[layer];
  if (n.op == Op::kLinear) return LayerSignature::Linear(n.in_channels, n.out_channels);
  LayerSignature s;
  s.type = "conv";
  s.groups = n.groups;
  s.kernel_h = n.kernel_h;
  s.kernel_w = n.kernel_w;
  s.stride = n.stride_h;
  s.padding = n.pad_h;
  auto [in_h, in_w] = LayerInputHW(graph, layer);
  s.in_h = in_h;
  s.in_w = in_w;
  s.out_h = n.out_shape[1];
  s.out_w = n.out_shape[2];
  s.in_channels = n.in_channels;
  s.out_channels = n.out_channels;
  return s;
}

std::vector<LayerSignature> ModelSignatures(const Graph& graph) {
  std::vector<LayerSignature> out;
  for (int l : graph.Layers()) out.push_back(SignatureOf(graph, l));
  return out;
}

absl::StatusOr<NetworkLatency> ConfigLatency(const Graph& graph, const BitConfig& config,
                                             const LatencyModel& model) {
  CostSummary costs = ComputeCosts(graph, config);
  std::vector<LayerWorkload> work;
  const std::vector<int> layers = graph.Layers();
  for (size_t k = 0; k < layers.size(); ++k) {
    work.push_back({SignatureOf(graph, layers[k]), config.layers[k].act_bits,
                    config.layers[k].weight_bits, costs.layers[k].keep_ratio});
  }
  return ComputeNetworkLatency(model, work);
}

refine::RefineProblem MakeRefineProblem(const Graph& graph, const BitConfig& config,
                                        const std::vector<int>& candidate_bits) {
  CostSummary costs = ComputeCosts(graph, config);
  refine::RefineProblem p;
  p.candidate_bits = candidate_bits;
  const std::vector<int> layers = graph.Layers();
  std::map<std::string, size_t> seen;
  for (size_t k = 0; k < layers.size(); ++k) {
    refine::RefineLayer l;
    l.name = config.layers[k].name;
    l.signature = SignatureOf(graph, layers[k]);
    l.weight_bits = config.layers[k].weight_bits;
    l.act_tensor = ActTensorId(graph, layers[k]);
    l.kept_mac_fraction = costs.layers[k].keep_ratio;
    p.layers.push_back(l);
    if (!seen.count(l.act_tensor)) {
      seen[l.act_tensor] = p.act_tensors.size();
      bool input = graph.nodes[layers[k]].inputs[0] == 0;
      p.act_tensors.push_back({l.act_tensor, config.layers[k].act_bits, input});
    }
  }
  return p;
}

refine::BitConfig ToRefineConfig(const Graph& graph, const BitConfig& config) {
  refine::BitConfig r;
  const std::vector<int> layers = graph.Layers();
  for (size_t k = 0; k < layers.size(); ++k) {
    r.weight_bits.push_back(config.layers[k].weight_bits);
    r.act_bits[ActTensorId(graph, layers[k])] = config.layers[k].act_bits;
  }
  return r;
}

BitConfig FromRefineConfig(const Graph& graph, const BitConfig& base, const refine::BitConfig& refined) {
  BitConfig out = base;
  const std::vector<int> layers = graph.Layers();
  for (size_t k = 0; k < layers.size(); ++k) {
    out.layers[k].weight_bits = refined.weight_bits[k];
    out.layers[k].act_bits = refined.act_bits.at(ActTensorId(graph, layers[k]));
  }
  return out;
}

}  // namespace bitsearch
