#include "search/prior.h"

#include <algorithm>

namespace bitsearch {
namespace {

const torch::Tensor& HigherBits() {
  static const torch::Tensor b = torch::tensor({4.0f, 8.0f, 16.0f, 32.0f});
  return b;
}

const torch::Tensor& AllBits() {
  static const torch::Tensor b = torch::tensor({2.0f, 4.0f, 8.0f, 16.0f, 32.0f});
  return b;
}

}  // namespace

BopsPrior::BopsPrior(NetworkImpl& net) {
  const Graph& g = net.graph();
  double max_macs = 1;
  for (auto& l : net.layer_quants()) max_macs = std::max<double>(max_macs, LayerMacs(g, l.node));
  act_scale_.assign(net.act_quantizers().size(), 0.0);
  for (auto& l : net.layer_quants()) {
    double s = LayerMacs(g, l.node) / max_macs;
    weight_scale_.push_back(s);
    act_scale_[l.act] += s;
  }
}

torch::Tensor BopsPrior::Compute(NetworkImpl& net) {
  auto term = [](BBQuantizerImpl& q, double scale) {
    torch::Tensor tail = (torch::cumprod(q.GateProbs(), 0) * HigherBits()).sum() * scale;
    torch::Tensor q2 = q.ChannelProbs();
    if (!q2.defined()) return tail + 1.0;  // the reference's constant in place of the 2-bit term
    return q2.mean() * (2.0 * scale + tail);
  };
  torch::Tensor total = torch::zeros({});
  auto& layers = net.layer_quants();
  for (size_t k = 0; k < layers.size(); ++k) total = total + term(*layers[k].weight, weight_scale_[k]);
  auto& acts = net.act_quantizers();
  for (size_t a = 0; a < acts.size(); ++a) {
    if (net.act_producer(a) == 0) continue;  // the fixed 8-bit input has no gates to learn
    total = total + term(*acts[a], act_scale_[a]);
  }
  return total;
}

torch::Tensor BitProbabilities(const torch::Tensor& q) {
  // P(b_k) = q4 ... q_(b_k) * (1 - q_(next)), the top level having no "next".
  torch::Tensor reach = torch::cat({torch::ones({1}, q.options()), torch::cumprod(q, 0)});
  torch::Tensor stop = torch::cat({1 - q, torch::ones({1}, q.options())});
  return reach * stop;
}

LatencyPrior::LatencyPrior(NetworkImpl& net, Table table, int max_bits) {
  int top = 0;
  while (top < 4 && (2 << top) < max_bits) ++top;
  double norm = 0;
  for (const auto& t : table) norm += t[top][top];
  if (norm <= 0) norm = 1;
  for (const auto& t : table) {
    auto tensor = torch::empty({5, 5});
    for (int a = 0; a < 5; ++a) {
      for (int w = 0; w < 5; ++w) tensor[a][w] = t[a][w] / norm;
    }
    tables_.push_back(tensor);
  }
  (void)net;
}

torch::Tensor LatencyPrior::Compute(NetworkImpl& net) {
  torch::Tensor total = torch::zeros({});
  auto& layers = net.layer_quants();
  for (size_t k = 0; k < layers.size(); ++k) {
    BBQuantizerImpl& wq = *layers[k].weight;
    BBQuantizerImpl& aq = *net.act_quantizers()[layers[k].act];
    torch::Tensor pw = BitProbabilities(wq.GateProbs());
    torch::Tensor pa;
    if (net.act_producer(layers[k].act) == 0) {
      pa = torch::tensor({0.0f, 0.0f, 1.0f, 0.0f, 0.0f});  // the input is fixed at 8 bits
    } else {
      pa = BitProbabilities(aq.GateProbs());
    }
    torch::Tensor expected = (pa.unsqueeze(1) * pw.unsqueeze(0) * tables_[k]).sum();
    torch::Tensor q2 = wq.ChannelProbs();
    total = total + (q2.defined() ? q2.mean() * expected : expected);
  }
  return total;
}

std::pair<double, double> ExpectedBits(NetworkImpl& net) {
  torch::NoGradGuard no_grad;
  double wsum = 0, wmacs = 0, asum = 0, amacs = 0;
  const Graph& g = net.graph();
  for (auto& l : net.layer_quants()) {
    double macs = LayerMacs(g, l.node);
    wsum += macs * (BitProbabilities(l.weight->GateProbs()) * AllBits()).sum().item<double>();
    wmacs += macs;
    double abits = net.act_producer(l.act) == 0
                       ? 8.0
                       : (BitProbabilities(net.act_quantizers()[l.act]->GateProbs()) * AllBits())
                             .sum()
                             .item<double>();
    asum += macs * abits;
    amacs += macs;
  }
  return {wmacs > 0 ? wsum / wmacs : 0, amacs > 0 ? asum / amacs : 0};
}

}  // namespace bitsearch
