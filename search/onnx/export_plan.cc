#include "search/onnx/export_plan.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "search/bb_kernel.h"

namespace bitsearch {

QuantGrid MakeGrid(TensorQuantizerImpl& q, int bits) {
  QuantGrid g;
  g.bits = bits;
  g.is_signed = q.is_signed();
  // The quantizer clamps its range at 1e-6 and shrinks the clip bound by 1e-7 (bb_kernel.cc).
  g.x_max = std::max(q.clip_max(), 1e-6f);
  g.hi = (1.0f - 1e-7f) * g.x_max;
  g.lo = g.is_signed ? -g.hi : 0.0f;
  if (bits < 2 || bits > 16) return g;
  // Step sizes in float, step by step, exactly as the kernel builds them.
  float range = g.is_signed ? g.x_max - (-g.x_max) : g.x_max;
  float s = range / static_cast<float>(kBBDivisors[0]);
  for (int i = 1; i < 5 && kBBBits[i] <= bits; ++i) s = s / static_cast<float>(kBBDivisors[i]);
  g.scale = s;
  const int64_t half = int64_t{1} << (bits - 1);
  if (g.is_signed) {
    g.zero_point = 0;
    g.qmin = -(half - 1);
    g.qmax = half - 1;
  } else {
    g.zero_point = -half;
    g.qmin = -half;
    g.qmax = half - 1;
  }
  return g;
}

torch::Tensor QuantizeCodes(const torch::Tensor& x, const QuantGrid& grid) {
  return (torch::round(x.to(torch::kFloat) / grid.scale) + static_cast<float>(grid.zero_point))
      .clamp(static_cast<double>(grid.qmin), static_cast<double>(grid.qmax))
      .to(torch::kLong);
}

namespace {

// What the exported graph computes for a constant value v on a quantized tensor.
float FakeQuantScalar(float v, const QuantGrid& g) {
  if (g.integer()) {
    auto q = QuantizeCodes(torch::tensor({v}), g);
    return static_cast<float>(q.item<int64_t>() - g.zero_point) * g.scale;
  }
  return std::min(std::max(v, g.lo), g.hi);
}

torch::Tensor Dequantize(const torch::Tensor& codes, const QuantGrid& g) {
  return (codes - g.zero_point).to(torch::kFloat) * g.scale;
}

// One consumer layer reached from a layer's output through pass-through nodes.
struct Reach {
  int layer;                    // index into plan.layers
  std::vector<int> path;        // pass-through nodes on the way
  int64_t features_per_channel; // after a flatten: H*W, else 1
};

class Remover {
 public:
  Remover(ExportPlan* plan, const std::map<int, int>& layer_of_node)
      : plan_(*plan), layer_of_node_(layer_of_node) {}

  // Finds the consumers of layer `k`'s output; false when some path is not removable.
  bool Trace(int node, std::vector<int>* path, int64_t hw, std::vector<Reach>* out) {
    const Graph& g = plan_.graph;
    for (int c : g.Consumers(node)) {
      const Node& n = g.nodes[c];
      if (c == g.output) return false;
      if (n.IsLayer()) {
        if (n.op == Op::kConv && n.groups != 1) return false;
        if (n.inputs[0] != node) return false;
        out->push_back({layer_of_node_.at(c), *path, hw});
        continue;
      }
      int64_t next_hw = hw;
      switch (n.op) {
        case Op::kReLU:
        case Op::kClip:
        case Op::kMaxPool:
        case Op::kAvgPool:
        case Op::kGlobalAvgPool:
        case Op::kIdentity:
          break;
        case Op::kFlatten: {
          const auto& s = g.nodes[node].out_shape;
          next_hw = 1;
          for (size_t d = 1; d < s.size(); ++d) next_hw *= s[d];
          break;
        }
        default:
          return false;
      }
      path->push_back(c);
      bool ok = Trace(c, path, next_hw, out);
      path->pop_back();
      if (!ok) return false;
    }
    return true;
  }

  float Propagate(float v, const std::vector<int>& path) {
    for (int p : path) {
      const Node& n = plan_.graph.nodes[p];
      if (n.op == Op::kReLU) v = std::max(v, 0.0f);
      if (n.op == Op::kClip) {
        v = static_cast<float>(std::min(std::max(static_cast<double>(v), n.clip_min), n.clip_max));
      }
    }
    return v;
  }

  void Run() {
    const size_t n_layers = plan_.layers.size();
    std::vector<torch::Tensor> bias_delta(n_layers);
    std::vector<std::set<int64_t>> dropped_in(n_layers);
    std::vector<std::vector<int64_t>> out_rows(n_layers);
    for (size_t k = 0; k < n_layers; ++k) {
      LayerPlan& L = plan_.layers[k];
      const int64_t channels = L.weight_q.size(0);
      for (int64_t c = 0; c < channels; ++c) out_rows[k].push_back(c);
      std::vector<int64_t> pruned;
      for (int64_t c = 0; c < channels; ++c) {
        if (!L.keep[c]) pruned.push_back(c);
      }
      if (pruned.empty() || static_cast<int64_t>(pruned.size()) == channels) continue;
      const Node& ln = plan_.graph.nodes[L.node];
      if (ln.op == Op::kConv && ln.groups != 1) continue;  // rows are tied to input groups
      std::vector<int> path;
      std::vector<Reach> reach;
      if (!Trace(L.node, &path, 1, &reach) || reach.empty()) continue;
      // Per consumer, the bias change that replaces the removed constant channels.
      std::vector<torch::Tensor> delta(reach.size());
      bool ok = true;
      for (size_t r = 0; r < reach.size() && ok; ++r) {
        LayerPlan& K = plan_.layers[reach[r].layer];
        const Node& kn = plan_.graph.nodes[K.node];
        const QuantGrid& act = plan_.acts[K.act].grid;
        delta[r] = torch::zeros({K.weight_q.size(0)});
        for (int64_t c : pruned) {
          float v = L.bias.defined() ? L.bias[c].item<float>() : 0.0f;
          float qv = FakeQuantScalar(Propagate(v, reach[r].path), act);
          if (qv == 0.0f) continue;
          if (kn.op == Op::kConv && (kn.pad_h || kn.pad_w)) {
            ok = false;  // zero padding makes the constant channel non-constant at the borders
            break;
          }
          torch::Tensor cols;
          if (kn.op == Op::kConv) {
            cols = K.weight_q.select(1, c).sum({1, 2});
          } else {
            const int64_t f = reach[r].features_per_channel;
            cols = K.weight_q.slice(1, c * f, (c + 1) * f).sum(1);
          }
          delta[r] += qv * cols;
        }
      }
      if (!ok) continue;
      for (size_t r = 0; r < reach.size(); ++r) {
        int kk = reach[r].layer;
        bias_delta[kk] = bias_delta[kk].defined() ? bias_delta[kk] + delta[r] : delta[r];
        dropped_in[kk].insert(pruned.begin(), pruned.end());
        plan_.layers[kk].features_per_channel = reach[r].features_per_channel;
      }
      out_rows[k].clear();
      for (int64_t c = 0; c < channels; ++c) {
        if (L.keep[c]) out_rows[k].push_back(c);
      }
      L.removed = true;
      plan_.removed_channels += static_cast<int64_t>(pruned.size());
    }
    // Apply: bias folds first (on full rows), then the row and column selections.
    for (size_t k = 0; k < n_layers; ++k) {
      LayerPlan& L = plan_.layers[k];
      if (bias_delta[k].defined()) {
        L.bias = (L.bias.defined() ? L.bias : torch::zeros({L.weight_q.size(0)})) + bias_delta[k];
      }
      const Node& n = plan_.graph.nodes[L.node];
      const int64_t in_ch = n.op == Op::kConv ? n.in_channels / n.groups
                                              : n.in_channels / L.features_per_channel;
      L.in_channels.clear();
      for (int64_t c = 0; c < in_ch; ++c) {
        if (!dropped_in[k].count(c)) L.in_channels.push_back(c);
      }
      L.out_channels = out_rows[k];
      auto rows = torch::tensor(L.out_channels, torch::kLong);
      std::vector<int64_t> col_idx;
      for (int64_t c : L.in_channels) {
        for (int64_t f = 0; f < L.features_per_channel; ++f) col_idx.push_back(c * L.features_per_channel + f);
      }
      L.weight_q = L.weight_q.index_select(0, rows).index_select(1, torch::tensor(col_idx, torch::kLong)).contiguous();
      if (L.bias.defined()) L.bias = L.bias.index_select(0, rows).contiguous();
    }
  }

 private:
  ExportPlan& plan_;
  const std::map<int, int>& layer_of_node_;
};

}  // namespace

torch::Tensor KeptWeights(const LayerPlan& layer) {
  std::vector<int64_t> rows;
  for (size_t r = 0; r < layer.out_channels.size(); ++r) {
    if (layer.keep[layer.out_channels[r]]) rows.push_back(static_cast<int64_t>(r));
  }
  return layer.weight_q.index_select(0, torch::tensor(rows, torch::kLong));
}

absl::StatusOr<ExportPlan> BuildExportPlan(NetworkImpl& net) {
  torch::NoGradGuard no_grad;
  ExportPlan plan;
  plan.graph = net.graph();
  plan.input_shape = plan.graph.nodes[0].out_shape;
  auto& acts = net.act_quantizers();
  for (size_t a = 0; a < acts.size(); ++a) {
    if (acts[a]->mode() != QuantMode::kFixed) {
      return absl::FailedPreconditionError("export: the network's quantizers are not fixed (SetFixed first)");
    }
    ActPlan ap;
    ap.producer = net.act_producer(static_cast<int>(a));
    ap.grid = MakeGrid(*acts[a], acts[a]->DecidedBits());
    plan.acts.push_back(ap);
  }
  std::map<int, int> layer_of_node;
  for (auto& lq : net.layer_quants()) {
    if (lq.weight->mode() != QuantMode::kFixed) {
      return absl::FailedPreconditionError("export: the network's quantizers are not fixed (SetFixed first)");
    }
    LayerPlan lp;
    lp.node = lq.node;
    lp.name = plan.graph.nodes[lq.node].name;
    lp.act = lq.act;
    const int bits = lq.weight->DecidedBits();
    lp.weight = MakeGrid(*lq.weight, bits);
    auto keep = lq.weight->DecidedKeep();
    lp.keep.assign(keep.begin(), keep.end());
    torch::Tensor wq = lq.weight->forward(net.weight(lq.node)).detach();
    if (lp.weight.integer()) {
      lp.weight_q = Dequantize(QuantizeCodes(wq, lp.weight), lp.weight);
    } else {
      lp.weight_q = wq.clone();  // 0 bits: zeros; 32 bits: clipped floats
    }
    if (plan.graph.nodes[lq.node].bias) lp.bias = net.bias(lq.node).detach().clone();
    layer_of_node[lq.node] = static_cast<int>(plan.layers.size());
    plan.layers.push_back(std::move(lp));
  }
  std::map<std::string, torch::Tensor> named;
  for (auto& p : net.named_parameters(false)) named[p.key()] = p.value().detach().clone();
  for (auto& p : net.named_buffers(false)) named[p.key()] = p.value().detach().clone();
  for (size_t i = 0; i < plan.graph.nodes.size(); ++i) {
    const Node& n = plan.graph.nodes[i];
    if (n.op != Op::kBatchNorm) continue;
    const std::string base = ModuleName(n.name);
    plan.batch_norms[static_cast<int>(i)] = {named.at(base + "_gamma"), named.at(base + "_beta"),
                                             named.at(base + "_running_mean"),
                                             named.at(base + "_running_var")};
  }
  Remover(&plan, layer_of_node).Run();
  return plan;
}

}  // namespace bitsearch
