#include "search/ptq/cle.h"

#include <cmath>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "search/job_checkpoint.h"

namespace bitsearch {
namespace {

bool IsDepthwise(const Node& n) {
  return n.op == Op::kConv && n.groups > 1 && n.groups == n.in_channels &&
         n.out_channels == n.in_channels;
}

// A layer that can take a link's rescaled channels as input.
bool CanConsume(const Node& n) {
  return n.op == Op::kLinear || (n.op == Op::kConv && (n.groups == 1 || IsDepthwise(n)));
}

// s, broadcast along the output-channel dimension of a weight tensor.
torch::Tensor AlongDim(const torch::Tensor& s, const torch::Tensor& w, int64_t dim) {
  std::vector<int64_t> shape(w.dim(), 1);
  shape[dim] = s.numel();
  return s.reshape(shape);
}

// s > 0 where both ranges are, 1 elsewhere (a channel whose range is 0 is left alone).
torch::Tensor SafeScale(const torch::Tensor& s, const torch::Tensor& valid) {
  return torch::where(valid, s, torch::ones_like(s)).to(torch::kFloat);
}

std::string LinkName(const Graph& g, const CleLink& l) {
  return absl::StrCat(g.nodes[l.producer].name, " -> ", g.nodes[l.consumer].name);
}

}  // namespace

std::vector<CleLink> FindCleLinks(const Graph& graph, bool replace_relu6,
                                  std::vector<std::string>* left_out) {
  std::vector<CleLink> links;
  for (int p : graph.Layers()) {
    if (p == graph.output) continue;
    CleLink link;
    link.producer = p;
    int node = p;
    bool found = false;
    while (true) {
      std::vector<int> consumers = graph.Consumers(node);
      if (consumers.size() != 1) break;  // fan-out or a dead end
      const int c = consumers[0];
      const Node& n = graph.nodes[c];
      if (n.IsLayer()) {
        if (n.inputs[0] == node && CanConsume(n)) {
          link.consumer = c;
          found = true;
        }
        break;
      }
      if (c == graph.output) break;
      bool passes = true;
      switch (n.op) {
        case Op::kReLU:
          link.through_relu = true;
          break;
        case Op::kClip:
          if (n.clip_min == 0.0) {
            link.relu6.push_back(c);
          } else {
            passes = false;  // a non-zero lower bound does not commute with scaling
          }
          break;
        case Op::kMaxPool:
        case Op::kAvgPool:
        case Op::kGlobalAvgPool:
        case Op::kIdentity:
          break;
        case Op::kFlatten: {
          const std::vector<int64_t>& s = graph.nodes[node].out_shape;
          link.features_per_channel = 1;
          for (size_t d = 1; d < s.size(); ++d) link.features_per_channel *= s[d];
          break;
        }
        default:
          passes = false;  // residual add, an unfolded BatchNorm, ...
      }
      if (!passes) break;
      link.path.push_back(c);
      node = c;
    }
    if (!found) continue;
    if (!link.relu6.empty()) {
      if (!replace_relu6) {
        if (left_out) left_out->push_back(LinkName(graph, link));
        continue;
      }
      link.through_relu = true;  // its ReLU6 becomes a ReLU
    }
    links.push_back(link);
  }
  return links;
}

torch::Tensor OutputChannelRanges(NetworkImpl& net, int layer) {
  return net.weight(layer).detach().abs().flatten(1).amax(1);
}

torch::Tensor InputChannelRanges(NetworkImpl& net, const CleLink& link) {
  const Node& n = net.graph().nodes[link.consumer];
  torch::Tensor w = net.weight(link.consumer).detach().abs();
  if (n.op == Op::kLinear) {
    return w.view({w.size(0), -1, link.features_per_channel}).amax({0, 2});
  }
  if (IsDepthwise(n)) return w.flatten(1).amax(1);
  return w.amax({0, 2, 3});
}

void ScaleLink(NetworkImpl& net, const CleLink& link, const torch::Tensor& s, LayerStats* stats) {
  torch::NoGradGuard no_grad;
  torch::Tensor w1 = net.weight(link.producer);
  w1.div_(AlongDim(s, w1, 0));
  if (net.graph().nodes[link.producer].bias) net.bias(link.producer).div_(s);
  const Node& n = net.graph().nodes[link.consumer];
  torch::Tensor w2 = net.weight(link.consumer);
  if (n.op == Op::kLinear) {
    w2.mul_(s.repeat_interleave(link.features_per_channel).view({1, -1}));
  } else {
    w2.mul_(AlongDim(s, w2, IsDepthwise(n) ? 0 : 1));
  }
  if (stats && stats->count(link.producer)) {
    ChannelStats& st = stats->at(link.producer);
    st.mean = st.mean / s;
    st.std = st.std / s;
  }
}

CleResult EqualizeCrossLayer(Network net, const CleOptions& options, LayerStats* stats) {
  CleResult result{net, {}};
  CleReport& report = result.report;
  std::vector<CleLink> links =
      FindCleLinks(net->graph(), options.replace_relu6, &report.relu6_left_out);
  // Replacing ReLU6 changes the graph: a new network of the new graph with the same weights.
  std::vector<int> relu6;
  for (const CleLink& l : links) relu6.insert(relu6.end(), l.relu6.begin(), l.relu6.end());
  if (!relu6.empty()) {
    Graph g = net->graph();
    for (int n : relu6) {
      g.nodes[n].op = Op::kReLU;
      report.relu6_replaced.push_back(g.nodes[n].name);
    }
    Network replaced(g, net->options());
    LoadModule(*replaced, SerializeModule(*net));
    result.network = replaced;
  }
  NetworkImpl& impl = *result.network;
  const Graph& g = impl.graph();

  // Group the links: a depthwise layer with a link on both sides makes a triplet.
  std::map<int, int> link_from;  // producer node -> link index
  for (size_t i = 0; i < links.size(); ++i) link_from[links[i].producer] = static_cast<int>(i);
  struct Group {
    int first = -1, second = -1;  // link indices; second = -1 for a pair
  };
  std::vector<Group> groups;
  std::vector<bool> used(links.size(), false);
  for (size_t i = 0; i < links.size(); ++i) {
    if (used[i]) continue;
    Group grp{static_cast<int>(i), -1};
    auto next = link_from.find(links[i].consumer);
    if (IsDepthwise(g.nodes[links[i].consumer]) && next != link_from.end() && !used[next->second]) {
      grp.second = next->second;
      used[next->second] = true;
      report.chains.push_back(absl::StrCat(g.nodes[links[i].producer].name, " -> ",
                                           g.nodes[links[i].consumer].name, " -> ",
                                           g.nodes[links[next->second].consumer].name));
    } else {
      report.chains.push_back(LinkName(g, links[i]));
    }
    used[i] = true;
    groups.push_back(grp);
  }

  torch::NoGradGuard no_grad;
  for (int it = 1; it <= options.max_iterations && !groups.empty(); ++it) {
    double change = 0;
    for (const Group& grp : groups) {
      const CleLink& a = links[grp.first];
      torch::Tensor r1 = OutputChannelRanges(impl, a.producer).to(torch::kDouble);
      if (grp.second < 0) {
        torch::Tensor r2 = InputChannelRanges(impl, a).to(torch::kDouble);
        torch::Tensor s = SafeScale((r1 / r2).sqrt(), (r1 > 0) & (r2 > 0));
        ScaleLink(impl, a, s, stats);
        change = std::max(change, (s - 1).abs().max().item<double>());
        continue;
      }
      const CleLink& b = links[grp.second];
      torch::Tensor r2 = OutputChannelRanges(impl, a.consumer).to(torch::kDouble);
      torch::Tensor r3 = InputChannelRanges(impl, b).to(torch::kDouble);
      torch::Tensor valid = (r1 > 0) & (r2 > 0) & (r3 > 0);
      torch::Tensor c = (r1 * r2 * r3).pow(1.0 / 3.0);
      torch::Tensor s12 = SafeScale(r1 / c, valid), s23 = SafeScale(c / r3, valid);
      ScaleLink(impl, a, s12, stats);
      ScaleLink(impl, b, s23, stats);
      change = std::max({change, (s12 - 1).abs().max().item<double>(),
                         (s23 - 1).abs().max().item<double>()});
    }
    report.iterations = it;
    report.last_change = change;
    if (change <= options.tolerance) break;
  }
  if (options.high_bias_absorption && stats) AbsorbHighBias(impl, links, stats, &report);
  return result;
}

void AbsorbHighBias(NetworkImpl& net, const std::vector<CleLink>& links, LayerStats* stats,
                    CleReport* report) {
  torch::NoGradGuard no_grad;
  const Graph& g = net.graph();
  for (const CleLink& l : links) {
    if (!l.through_relu || !stats->count(l.producer)) continue;
    if (!g.nodes[l.producer].bias || !g.nodes[l.consumer].bias) continue;
    ChannelStats& st = stats->at(l.producer);
    torch::Tensor c = (st.mean - 3 * st.std).clamp_min(0);
    const int64_t n = (c > 0).sum().item<int64_t>();
    if (n == 0) continue;
    const Node& q = g.nodes[l.consumer];
    torch::Tensor w2 = net.weight(l.consumer).detach();
    torch::Tensor delta;
    if (q.op == Op::kLinear) {
      delta = torch::mv(w2.view({w2.size(0), -1, l.features_per_channel}).sum(2), c);
    } else if (IsDepthwise(q)) {
      delta = w2.sum({1, 2, 3}) * c;
    } else {
      delta = torch::mv(w2.sum({2, 3}), c);
    }
    net.bias(l.producer).sub_(c);
    net.bias(l.consumer).add_(delta);
    st.mean = st.mean - c;
    report->absorbed_channels += n;
    report->absorbed.push_back(LinkName(g, l));
  }
}

void RescaleChannelsRandomly(NetworkImpl& net, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
  for (const CleLink& l : FindCleLinks(net.graph(), /*replace_relu6=*/false)) {
    const int64_t channels = net.weight(l.producer).size(0);
    std::vector<float> s(channels);
    for (float& v : s) v = static_cast<float>(std::exp(u(rng)));
    ScaleLink(net, l, torch::tensor(s), nullptr);
  }
}

}  // namespace bitsearch
