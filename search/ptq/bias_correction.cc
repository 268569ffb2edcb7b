#include "search/ptq/bias_correction.h"

#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"

namespace bitsearch {
namespace {

// Sums over every dimension but the channel (1) of a layer output.
torch::Tensor ChannelSum(const torch::Tensor& v) {
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < v.dim(); ++d) dims.push_back(d);
  return v.to(torch::kDouble).sum(dims);
}

int64_t PerChannelCount(const torch::Tensor& v) { return v.numel() / v.size(1); }

// The layer (graph node) whose output reaches `layer`'s input through pass-through nodes with at
// most one activation, and that activation; -1 when there is none or the path holds a max pool.
struct InputSource {
  int producer = -1;
  const Node* activation = nullptr;  // ReLU or Clip, or none
  int64_t features_per_channel = 1;  // linear after flatten
  std::string why;                   // when producer is -1
};

InputSource FindInputSource(const Graph& g, int layer) {
  InputSource src;
  int node = g.nodes[layer].inputs[0];
  while (true) {
    const Node& n = g.nodes[node];
    if (n.IsLayer()) {
      src.producer = node;
      return src;
    }
    switch (n.op) {
      case Op::kReLU:
      case Op::kClip:
        if (src.activation) {
          src.why = "two activations before it";
          return src;
        }
        src.activation = &n;
        break;
      case Op::kFlatten: {
        const auto& s = g.nodes[n.inputs[0]].out_shape;
        src.features_per_channel = 1;
        for (size_t d = 1; d < s.size(); ++d) src.features_per_channel *= s[d];
        break;
      }
      case Op::kAvgPool:
      case Op::kGlobalAvgPool:
      case Op::kIdentity:
        break;  // the mean passes unchanged
      case Op::kInput:
        src.why = "its input is the network input";
        return src;
      case Op::kMaxPool:
        src.why = "a max pool changes the mean of its input";
        return src;
      default:
        src.why = absl::StrCat("its input comes through ", OpName(n.op));
        return src;
    }
    node = n.inputs[0];
  }
}

}  // namespace

std::map<int, torch::Tensor> LayerOutputMeans(NetworkImpl& net, const torch::Tensor& data,
                                              int64_t batch_size, int last_layer) {
  torch::NoGradGuard no_grad;
  std::map<int, torch::Tensor> sums;
  std::map<int, int64_t> counts;
  std::vector<int> layers;
  for (int l : net.graph().Layers()) {
    if (last_layer < 0 || l <= last_layer) layers.push_back(l);
  }
  for (int64_t b = 0; b < data.size(0); b += batch_size) {
    auto values = net.ForwardValues(data.slice(0, b, b + batch_size), last_layer);
    for (int l : layers) {
      torch::Tensor s = ChannelSum(values[l]);
      sums[l] = sums.count(l) ? sums[l] + s : s;
      counts[l] += PerChannelCount(values[l]);
    }
  }
  std::map<int, torch::Tensor> means;
  for (auto& [l, s] : sums) means[l] = s / static_cast<double>(counts[l]);
  return means;
}

void CorrectBiasEmpirically(NetworkImpl& quant, NetworkImpl& reference, const torch::Tensor& data,
                            int64_t batch_size, BiasCorrectionReport* report) {
  torch::NoGradGuard no_grad;
  const bool qt = quant.is_training(), rt = reference.is_training();
  quant.eval();
  reference.eval();
  std::map<int, torch::Tensor> float_means = LayerOutputMeans(reference, data, batch_size);
  const Graph& g = quant.graph();
  for (int l : g.Layers()) {
    if (!g.nodes[l].bias) {
      report->skipped.push_back(absl::StrCat(g.nodes[l].name, ": the layer has no bias"));
      continue;
    }
    // Only this layer's mean: the forward stops at it.
    torch::Tensor q_mean = LayerOutputMeans(quant, data, batch_size, l).at(l);
    torch::Tensor shift = (q_mean - float_means.at(l)).to(torch::kFloat);
    quant.bias(l).sub_(shift);
    report->corrected.push_back(g.nodes[l].name);
    report->mean_abs_shift.push_back(shift.abs().mean().item<double>());
  }
  quant.train(qt);
  reference.train(rt);
}

torch::Tensor ClippedNormalMean(const torch::Tensor& mean, const torch::Tensor& std, double lo, double hi) {
  torch::Tensor m = mean.to(torch::kDouble), s = std.to(torch::kDouble).clamp_min(1e-12);
  auto cdf = [](const torch::Tensor& t) { return 0.5 * (1 + torch::erf(t / std::sqrt(2.0))); };
  auto pdf = [](const torch::Tensor& t) { return torch::exp(-0.5 * t * t) / std::sqrt(2 * M_PI); };
  torch::Tensor a = (lo - m) / s;
  torch::Tensor out = lo * cdf(a) + m * (1 - cdf(a)) + s * pdf(a);
  if (std::isfinite(hi)) {
    torch::Tensor b = (hi - m) / s;
    // Subtract the part above hi and put it at hi.
    out = out - (m * (1 - cdf(b)) + s * pdf(b)) + hi * (1 - cdf(b));
  }
  return out.to(torch::kFloat);
}

void CorrectBiasAnalytically(NetworkImpl& quant, const LayerStats& stats, BiasCorrectionReport* report) {
  torch::NoGradGuard no_grad;
  const Graph& g = quant.graph();
  for (auto& lq : quant.layer_quants()) {
    const int l = lq.node;
    const Node& n = g.nodes[l];
    auto skip = [&](const std::string& why) { report->skipped.push_back(absl::StrCat(n.name, ": ", why)); };
    if (!n.bias) {
      skip("the layer has no bias");
      continue;
    }
    InputSource src = FindInputSource(g, l);
    if (src.producer < 0) {
      skip(src.why);
      continue;
    }
    auto st = stats.find(src.producer);
    if (st == stats.end()) {
      skip(absl::StrCat("no BatchNorm statistics for ", g.nodes[src.producer].name));
      continue;
    }
    const bool depthwise = n.op == Op::kConv && n.groups > 1 && n.groups == n.in_channels;
    if (n.op == Op::kConv && n.groups != 1 && !depthwise) {
      skip("grouped convolution");
      continue;
    }
    torch::Tensor ex;
    if (!src.activation) {
      ex = st->second.mean;
    } else if (src.activation->op == Op::kReLU) {
      ex = ClippedNormalMean(st->second.mean, st->second.std, 0.0, std::numeric_limits<double>::infinity());
    } else {
      ex = ClippedNormalMean(st->second.mean, st->second.std, src.activation->clip_min,
                             src.activation->clip_max);
    }
    torch::Tensor w = quant.weight(l).detach();
    torch::Tensor dw = lq.weight->forward(w) - w;
    torch::Tensor shift;
    if (n.op == Op::kLinear) {
      shift = torch::mv(dw, ex.repeat_interleave(src.features_per_channel));
    } else if (depthwise) {
      shift = dw.sum({1, 2, 3}) * ex;
    } else {
      shift = torch::mv(dw.sum({2, 3}), ex);
    }
    quant.bias(l).sub_(shift);
    report->corrected.push_back(n.name);
    report->mean_abs_shift.push_back(shift.abs().mean().item<double>());
  }
}

}  // namespace bitsearch
