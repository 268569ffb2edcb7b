#include "search/prior.h"

#include <algorithm>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "search/hardware.h"

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
  auto term = [](TensorQuantizerImpl& q, double scale) {
    BitDistribution d = q.Distribution();
    torch::Tensor tail =
        (torch::cumprod(d.step_up, 0) * HigherBits().to(d.step_up.device())).sum() * scale;
    torch::Tensor q2 = d.keep;
    if (!q2.defined()) return tail + 1.0;  // the reference's constant in place of the 2-bit term
    return q2.mean() * (2.0 * scale + tail);
  };
  torch::Tensor total = torch::zeros({}, torch::TensorOptions().device(net.device()));
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
    tables_.push_back(tensor.to(net.device()));
  }
}

torch::Tensor LatencyPrior::Compute(NetworkImpl& net) {
  torch::Tensor total = torch::zeros({}, torch::TensorOptions().device(net.device()));
  auto& layers = net.layer_quants();
  for (size_t k = 0; k < layers.size(); ++k) {
    BitDistribution w = layers[k].weight->Distribution();
    torch::Tensor pw = BitProbabilities(w.step_up);
    torch::Tensor pa;
    if (net.act_producer(layers[k].act) == 0) {
      pa = torch::tensor({0.0f, 0.0f, 1.0f, 0.0f, 0.0f}, pw.options());  // the input: 8 bits
    } else {
      pa = BitProbabilities(net.act_quantizers()[layers[k].act]->Distribution().step_up);
    }
    torch::Tensor expected = (pa.unsqueeze(1) * pw.unsqueeze(0) * tables_[k]).sum();
    torch::Tensor q2 = w.keep;
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
    wsum += macs * (BitProbabilities(l.weight->Distribution().step_up).cpu() * AllBits()).sum().item<double>();
    wmacs += macs;
    double abits = net.act_producer(l.act) == 0
                       ? 8.0
                       : (BitProbabilities(net.act_quantizers()[l.act]->Distribution().step_up)
                              .cpu() *
                          AllBits())
                             .sum()
                             .item<double>();
    asum += macs * abits;
    amacs += macs;
  }
  return {wmacs > 0 ? wsum / wmacs : 0, amacs > 0 ? asum / amacs : 0};
}

absl::StatusOr<std::vector<std::array<std::array<double, 5>, 5>>> LatencyPriorTable(
    const Graph& graph, const LatencyModel& latency) {
  LatencyPrior::Table table;
  const int bits[5] = {2, 4, 8, 16, 32};
  for (int layer : graph.Layers()) {
    LayerSignature sig = SignatureOf(graph, layer);
    std::array<std::array<double, 5>, 5> t{};
    double worst = 0;
    std::vector<std::pair<int, int>> missing;
    for (int a = 0; a < 5; ++a) {
      for (int w = 0; w < 5; ++w) {
        auto lat = latency.Latency(sig, bits[a], bits[w]);
        if (lat.ok()) {
          t[a][w] = *lat;
          worst = std::max(worst, *lat);
        } else {
          missing.push_back({a, w});
        }
      }
    }
    if (missing.size() == 25) {
      return absl::InvalidArgumentError(
          absl::StrCat("hardware.profile: no latency for layer ", graph.nodes[layer].name));
    }
    for (auto [a, w] : missing) t[a][w] = worst;
    table.push_back(t);
  }
  return table;
}

namespace {

using PriorFactory =
    std::function<absl::StatusOr<std::unique_ptr<Prior>>(NetworkImpl&, const PriorInputs&)>;

// Keyed by the catalog's prior names (search/catalog.h).
const std::map<std::string, PriorFactory>& PriorFactories() {
  static const auto* factories = new std::map<std::string, PriorFactory>{
      {"bops",
       [](NetworkImpl& net, const PriorInputs&) -> absl::StatusOr<std::unique_ptr<Prior>> {
         return std::make_unique<BopsPrior>(net);
       }},
      {"latency",
       [](NetworkImpl& net, const PriorInputs& in) -> absl::StatusOr<std::unique_ptr<Prior>> {
         if (!in.latency) return absl::InvalidArgumentError("search.regularizer latency: no profile");
         auto table = LatencyPriorTable(net.graph(), *in.latency);
         if (!table.ok()) return table.status();
         return std::make_unique<LatencyPrior>(net, std::move(*table), in.max_bits);
       }},
  };
  return *factories;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Prior>> MakePrior(const std::string& name, NetworkImpl& net,
                                                 const PriorInputs& inputs) {
  auto it = PriorFactories().find(name);
  if (it == PriorFactories().end()) {
    return absl::InvalidArgumentError(absl::StrCat("search.regularizer: unknown prior \"", name,
                                                   "\"; expected one of: ",
                                                   absl::StrJoin(PriorFactoryNames(), ", ")));
  }
  return it->second(net, inputs);
}

std::vector<std::string> PriorFactoryNames() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : PriorFactories()) names.push_back(name);
  return names;
}

}  // namespace bitsearch
