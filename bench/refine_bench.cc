// refine_bench: wall time of the Free Bits refinement on a 100-layer synthetic network with the
// 3x3 bit grid {2,4,8} x {2,4,8} (issue 3 aims for under 10 ms). Prints median and p90 over many
// repetitions for the freebie pass on an analytic profile and on a measured-style lookup table,
// and for budget mode with a trivial evaluation callback (so the figure is the algorithm's own
// cost; in a job each evaluation is a validation pass and dominates).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "latency_models/lookup_table_model.h"
#include "latency_models/profile_registry.h"
#include "search/refine/freebits.h"

namespace {

using bitsearch::LatencyModel;
using bitsearch::LayerSignature;
using namespace bitsearch::refine;

constexpr int kLayers = 100;
constexpr int kRepeats = 200;
const int kBits[] = {2, 4, 8};

// A MobileNet-like stack: alternating depthwise 3x3 and pointwise 1x1 convs, shrinking spatial
// size, with every tenth activation feeding two layers (a skip branch) so shared tensors occur.
RefineProblem MakeNetwork(std::mt19937& rng) {
  RefineProblem p;
  p.candidate_bits = {2, 4, 8};
  std::uniform_int_distribution<int> bit(0, 2);
  p.act_tensors.push_back({"input", 8, true});
  int64_t hw = 112, ch = 32;
  for (int l = 0; l < kLayers; ++l) {
    LayerSignature s;
    const bool depthwise = l % 2 == 0 && l + 1 < kLayers;
    s.groups = depthwise ? ch : 1;
    s.kernel_h = s.kernel_w = depthwise ? 3 : 1;
    s.padding = depthwise ? 1 : 0;
    s.stride = (depthwise && l % 20 == 0 && hw > 7) ? 2 : 1;
    s.in_h = s.in_w = hw;
    s.out_h = s.out_w = hw / s.stride;
    s.in_channels = ch;
    s.out_channels = depthwise ? ch : std::min<int64_t>(ch * (l % 20 == 1 ? 2 : 1), 1024);
    if (l == kLayers - 1) s = LayerSignature::Linear(ch, 1000);
    const std::string in = p.act_tensors.back().id;
    p.layers.push_back({"layer" + std::to_string(l), s, kBits[bit(rng)],
                        (l % 10 == 5) ? p.act_tensors[p.act_tensors.size() - 2].id : in, 1.0});
    p.act_tensors.push_back({"act" + std::to_string(l), kBits[bit(rng)], false});
    hw = s.out_h;
    ch = s.out_channels;
  }
  return p;
}

struct Stats {
  double median_ms, p90_ms;
};

template <typename F>
Stats Time(F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < kRepeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 9 / 10]};
}

}  // namespace

int main() {
  std::mt19937 rng(42);
  const RefineProblem net = MakeNetwork(rng);
  absl::StatusOr<std::unique_ptr<LatencyModel>> analytic =
      bitsearch::LoadProfile("pulp-xpulpv2", "/nonexistent");
  if (!analytic.ok()) {
    std::fprintf(stderr, "refine_bench: %s\n", std::string(analytic.status().message()).c_str());
    return 1;
  }
  // A measured-style table with the analytic numbers, to time the lookup path too.
  std::vector<bitsearch::LatencyRow> rows;
  for (const RefineLayer& l : net.layers) {
    for (int a : kBits) {
      for (int w : kBits) rows.push_back({l.signature, a, w, *(*analytic)->Latency(l.signature, a, w)});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
    return std::tie(x.signature, x.act_bits, x.weight_bits) <
           std::tie(y.signature, y.act_bits, y.weight_bits);
  });
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const auto& x, const auto& y) {
                           return x.signature == y.signature && x.act_bits == y.act_bits &&
                                  x.weight_bits == y.weight_bits;
                         }),
             rows.end());
  auto lut = *bitsearch::LookupTableModel::Create("bench-lut", "cycles", rows, false);

  RefineResult last;
  const Stats s1 = Time([&] { last = *RefineFreeBits(net, **analytic, RefineOptions{}); });
  std::printf("refine_bench: %d layers, %zu activation tensors, grid {2,4,8}x{2,4,8}, %d runs\n",
              kLayers, net.act_tensors.size(), kRepeats);
  std::printf("freebie  pulp-xpulpv2 (analytic): median %.3f ms  p90 %.3f ms  "
              "(latency %.0f -> %.0f cycles, %d bit changes)\n",
              s1.median_ms, s1.p90_ms, last.latency_before, last.latency_after, last.steps);
  const Stats s2 = Time([&] { last = *RefineFreeBits(net, *lut, RefineOptions{}); });
  std::printf("freebie  lookup table (%zu rows):   median %.3f ms  p90 %.3f ms\n", rows.size(),
              s2.median_ms, s2.p90_ms);

  // Budget mode on pulp-xpulpnn (where fewer bits are faster, so lowering pays): 70% of the
  // post-freebie latency, with a synthetic loss that is free to evaluate.
  auto xpulpnn = *bitsearch::LoadProfile("pulp-xpulpnn", "/nonexistent");
  const double budget = 0.7 * RefineFreeBits(net, *xpulpnn, RefineOptions{})->latency_after;
  EvalFn eval = [&](const BitConfig& c) -> absl::StatusOr<EvalPoint> {
    double loss = 0;
    for (int w : c.weight_bits) loss += w >= 8 ? 0 : w == 4 ? 0.01 : 0.05;
    for (const auto& [id, a] : c.act_bits) loss += a >= 8 ? 0 : a == 4 ? 0.01 : 0.05;
    return EvalPoint{loss, 90 - loss};
  };
  RefineOptions budget_opts;
  budget_opts.latency_budget = budget;
  budget_opts.max_accuracy_drop = 100;
  const Stats s3 = Time([&] { last = *RefineFreeBits(net, *xpulpnn, budget_opts, eval); });
  std::printf("budget   pulp-xpulpnn, 70%% budget:  median %.3f ms  p90 %.3f ms  "
              "(%s; %d evaluations, %d steps)\n",
              s3.median_ms, s3.p90_ms, last.feasible ? "met" : "infeasible", last.evaluations,
              last.steps);
  std::printf("target: freebie under 10 ms -> %s\n", s1.median_ms < 10.0 ? "met" : "MISSED");
  return 0;
}
