#include "search/ptq/layer_stats.h"

#include <algorithm>

namespace bitsearch {

LayerStats BatchNormStats(NetworkImpl& unfolded) {
  torch::NoGradGuard no_grad;
  const Graph& g = unfolded.graph();
  const Graph folded = FoldedStructure(g);
  std::map<std::string, torch::Tensor> params;
  for (auto& p : unfolded.named_parameters(/*recurse=*/false)) params[p.key()] = p.value();
  LayerStats out;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op != Op::kBatchNorm || folded.nodes[i].op != Op::kIdentity) continue;
    const std::string base = ModuleName(g.nodes[i].name);
    ChannelStats s;
    s.mean = params.at(base + "_beta").detach().clone();
    s.std = params.at(base + "_gamma").detach().abs();
    s.from_batch_norm = true;
    out[g.nodes[i].inputs[0]] = s;
  }
  return out;
}

LayerStats MeasureLayerStats(NetworkImpl& net, const torch::Tensor& data, int64_t batch_size,
                             const LayerStats& skip) {
  torch::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  std::vector<int> layers;
  for (int l : net.graph().Layers()) {
    if (!skip.count(l)) layers.push_back(l);
  }
  std::map<int, torch::Tensor> sum, sumsq;
  std::map<int, double> count;
  const int last = layers.empty() ? -1 : *std::max_element(layers.begin(), layers.end());
  for (int64_t b = 0; b < data.size(0) && !layers.empty(); b += batch_size) {
    auto values = net.ForwardValues(data.slice(0, b, b + batch_size), last);
    for (int l : layers) {
      torch::Tensor v = values[l].to(torch::kDouble);
      // Channels on dimension 1; reduce over samples and positions.
      std::vector<int64_t> dims = {0};
      for (int64_t d = 2; d < v.dim(); ++d) dims.push_back(d);
      torch::Tensor s = v.sum(dims), s2 = v.pow(2).sum(dims);
      sum[l] = sum.count(l) ? sum[l] + s : s;
      sumsq[l] = sumsq.count(l) ? sumsq[l] + s2 : s2;
      count[l] += static_cast<double>(v.numel() / v.size(1));
    }
  }
  net.train(was_training);
  LayerStats out;
  for (int l : layers) {
    if (!sum.count(l)) continue;
    ChannelStats s;
    torch::Tensor mean = sum[l] / count[l];
    s.mean = mean.to(torch::kFloat);
    s.std = (sumsq[l] / count[l] - mean.pow(2)).clamp_min(0).sqrt().to(torch::kFloat);
    out[l] = s;
  }
  return out;
}

}  // namespace bitsearch
