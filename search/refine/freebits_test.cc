#include "search/refine/freebits.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "latency_models/bops_model.h"
#include "latency_models/lookup_table_model.h"
#include "latency_models/profile_registry.h"

namespace bitsearch::refine {
namespace {

const std::vector<int> kBits = {2, 4, 8};

// Layer i gets its own signature so a lookup table can give it its own latencies.
LayerSignature Sig(int i) { return LayerSignature::Linear(i + 1, 7); }

struct RandomCase {
  RefineProblem problem;
  std::unique_ptr<LookupTableModel> model;
};

RandomCase MakeRandomCase(std::mt19937& rng) {
  RandomCase c;
  std::uniform_int_distribution<int> n_layers(1, 12), n_tensors(1, 5), bit(0, 2);
  std::uniform_real_distribution<double> lat(1.0, 100.0), unit(0.0, 1.0);
  const int nt = n_tensors(rng);
  for (int t = 0; t < nt; ++t) {
    c.problem.act_tensors.push_back(ActTensor{"t" + std::to_string(t), kBits[bit(rng)], t == 0});
  }
  std::vector<LatencyRow> rows;
  const int nl = n_layers(rng);
  for (int l = 0; l < nl; ++l) {
    RefineLayer layer;
    layer.name = "l" + std::to_string(l);
    layer.signature = Sig(l);
    layer.weight_bits = unit(rng) < 0.1 ? 0 : kBits[bit(rng)];
    layer.act_tensor = "t" + std::to_string(std::uniform_int_distribution<int>(0, nt - 1)(rng));
    layer.kept_mac_fraction = unit(rng) < 0.3 ? 0.25 + 0.75 * unit(rng) : 1.0;
    c.problem.layers.push_back(layer);
    for (int a : kBits) {
      for (int w : kBits) rows.push_back(LatencyRow{Sig(l), a, w, lat(rng)});
    }
  }
  c.model = *LookupTableModel::Create("random", "cycles", rows, false);
  return c;
}

double LayerLat(const RandomCase& c, int l, int a, int w) {
  const RefineLayer& layer = c.problem.layers[l];
  if (w == 0 || layer.kept_mac_fraction == 0) return 0;
  return *c.model->Latency(layer.signature, a, w) * layer.kept_mac_fraction;
}

TEST(FreebieTest, RandomTablesNeverLowerBitsNeverRaiseLatencyAndReachTheGroupOptimum) {
  std::mt19937 rng(20230706);
  int changed_cases = 0;
  for (int iter = 0; iter < 500; ++iter) {
    RandomCase c = MakeRandomCase(rng);
    absl::StatusOr<RefineResult> r = RefineFreeBits(c.problem, *c.model, RefineOptions{});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_LE(r->latency_after, r->latency_before + 1e-9) << "case " << iter;
    changed_cases += r->steps > 0;
    ASSERT_EQ(r->config.weight_bits.size(), c.problem.layers.size());
    double sum = 0;
    for (size_t l = 0; l < c.problem.layers.size(); ++l) {
      EXPECT_GE(r->config.weight_bits[l], c.problem.layers[l].weight_bits) << "case " << iter;
      if (c.problem.layers[l].weight_bits == 0) {
        EXPECT_EQ(r->config.weight_bits[l], 0);
      }
      sum += r->layer_latency[l];
    }
    EXPECT_NEAR(sum, r->latency_after, 1e-9 * std::max(1.0, sum));
    for (const ActTensor& t : c.problem.act_tensors) {
      const int after = r->config.act_bits.at(t.id);
      EXPECT_GE(after, t.bits);
      if (t.frozen) {
        EXPECT_EQ(after, t.bits);
      }
    }
    // Each tensor's group reaches the brute-force minimum over all a' >= a, w' >= w.
    for (size_t t = 0; t < c.problem.act_tensors.size(); ++t) {
      const ActTensor& tensor = c.problem.act_tensors[t];
      double best = std::numeric_limits<double>::infinity();
      for (int a : kBits) {
        if (a < tensor.bits || (tensor.frozen && a != tensor.bits)) continue;
        double group = 0;
        for (size_t l = 0; l < c.problem.layers.size(); ++l) {
          const RefineLayer& layer = c.problem.layers[l];
          if (layer.act_tensor != tensor.id || layer.weight_bits == 0) continue;
          double m = std::numeric_limits<double>::infinity();
          for (int w : kBits) {
            if (w >= layer.weight_bits) m = std::min(m, LayerLat(c, l, a, w));
          }
          group += m;
        }
        best = std::min(best, group);
      }
      double got = 0;
      for (size_t l = 0; l < c.problem.layers.size(); ++l) {
        if (c.problem.layers[l].act_tensor == tensor.id) got += r->layer_latency[l];
      }
      EXPECT_NEAR(got, best, 1e-9 * std::max(1.0, best)) << "case " << iter << " tensor " << t;
    }
    // A fixed point: refining the result changes nothing.
    RefineProblem again = c.problem;
    for (size_t l = 0; l < again.layers.size(); ++l) {
      again.layers[l].weight_bits = r->config.weight_bits[l];
    }
    for (ActTensor& t : again.act_tensors) t.bits = r->config.act_bits.at(t.id);
    absl::StatusOr<RefineResult> r2 = RefineFreeBits(again, *c.model, RefineOptions{});
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2->steps, 0) << "case " << iter;
  }
  EXPECT_GT(changed_cases, 250);  // the property was exercised, not vacuously true
}

// Two layers read one activation tensor "x" at 4 bits.
RefineProblem SharedProblem() {
  RefineProblem p;
  p.act_tensors = {{"x", 4, false}};
  p.layers = {{"a", Sig(0), 4, "x", 1.0}, {"b", Sig(1), 4, "x", 1.0}};
  return p;
}

std::unique_ptr<LookupTableModel> Table(const std::map<std::tuple<int, int, int>, double>& lat,
                                        double otherwise) {
  std::vector<LatencyRow> rows;
  for (int l : {0, 1}) {
    for (int a : kBits) {
      for (int w : kBits) {
        auto it = lat.find({l, a, w});
        rows.push_back(LatencyRow{Sig(l), a, w, it == lat.end() ? otherwise : it->second});
      }
    }
  }
  return *LookupTableModel::Create("t", "cycles", rows, false);
}

TEST(FreebieTest, SharedActivationIsDecidedOnceOverAllConsumers) {
  // Layer a alone would raise x to 8 bits (10 -> 1); layer b would pay 100 for it. Jointly,
  // keeping 4 bits (11) beats raising (101), so x stays at 4 for both.
  auto keep = Table({{{0, 4, 4}, 10}, {{0, 8, 4}, 1}, {{0, 8, 8}, 1}, {{1, 4, 4}, 1}}, 100);
  absl::StatusOr<RefineResult> r = RefineFreeBits(SharedProblem(), *keep, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.act_bits.at("x"), 4);
  EXPECT_EQ(r->config.act_bits.size(), 1u);
  EXPECT_DOUBLE_EQ(r->latency_after, 11);

  // Now raising helps a a lot (50 -> 1) and costs b a little (5 -> 6): one decision, raise.
  auto raise = Table({{{0, 4, 4}, 50}, {{0, 8, 8}, 1}, {{1, 4, 4}, 5}, {{1, 8, 4}, 6}}, 100);
  r = RefineFreeBits(SharedProblem(), *raise, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.act_bits.at("x"), 8);
  EXPECT_EQ(r->config.weight_bits, (std::vector<int>{8, 4}));
  EXPECT_DOUBLE_EQ(r->layer_latency[1], 6);  // b got slower, the total did not
  EXPECT_DOUBLE_EQ(r->latency_after, 7);
  int act_moves = 0;
  for (const RefineMove& m : r->moves) act_moves += m.what == "act";
  EXPECT_EQ(act_moves, 1);
}

TEST(FreebieTest, XpulpV2RaisesSubByteLayersToEightBits) {
  absl::StatusOr<std::unique_ptr<LatencyModel>> m = LoadProfile("pulp-xpulpv2", "/nonexistent");
  ASSERT_TRUE(m.ok()) << m.status();
  RefineProblem p;
  p.act_tensors = {{"input", 8, true}, {"c1", 4, false}};
  LayerSignature conv;
  conv.kernel_h = conv.kernel_w = 5;
  conv.in_h = conv.in_w = 28;
  conv.out_h = conv.out_w = 24;
  conv.in_channels = 1;
  conv.out_channels = 32;
  LayerSignature conv2 = conv;
  conv2.in_h = conv2.in_w = 12;
  conv2.out_h = conv2.out_w = 8;
  conv2.in_channels = 32;
  conv2.out_channels = 64;
  p.layers = {{"conv1", conv, 2, "input", 1.0}, {"conv2", conv2, 4, "c1", 1.0}};
  absl::StatusOr<RefineResult> r = RefineFreeBits(p, **m, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.weight_bits, (std::vector<int>{8, 8}));
  EXPECT_EQ(r->config.act_bits.at("c1"), 8);
  EXPECT_EQ(r->config.act_bits.at("input"), 8);
  EXPECT_LT(r->latency_after, r->latency_before);

  // On the BOPs proxy fewer bits are always cheaper: nothing is free.
  BopsModel bops;
  r = RefineFreeBits(p, bops, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->steps, 0);
}

// A synthetic network for budget mode: BOPs latency, and a loss that grows as bits drop, scaled
// by each layer's sensitivity.
struct BudgetFixture {
  RefineProblem problem;
  std::vector<double> sensitivity;
  BopsModel model;
  int calls = 0;

  BudgetFixture() {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int l = 0; l < 10; ++l) {
      const std::string t = "t" + std::to_string(l);
      problem.act_tensors.push_back({t, 8, false});
      LayerSignature s = LayerSignature::Linear(64 * (l % 3 + 1), 64);
      problem.layers.push_back({"l" + std::to_string(l), s, 8, t, 1.0});
      sensitivity.push_back(l == 3 ? 50.0 : 0.05 + 0.2 * u(rng));
    }
  }
  static double Penalty(int bits) { return bits >= 8 ? 0 : bits == 4 ? 1 : 4; }
  EvalFn Eval() {
    return [this](const BitConfig& c) -> absl::StatusOr<EvalPoint> {
      ++calls;
      double loss = 0.3;
      for (size_t l = 0; l < c.weight_bits.size(); ++l) {
        loss += sensitivity[l] * (Penalty(c.weight_bits[l]) +
                                  Penalty(c.act_bits.at(problem.layers[l].act_tensor)));
      }
      return EvalPoint{loss, 92.0 - loss};
    };
  }
};

TEST(BudgetModeTest, MeetsAFeasibleBudgetSparingTheSensitiveLayer) {
  BudgetFixture f;
  RefineOptions opts;
  absl::StatusOr<RefineResult> base = RefineFreeBits(f.problem, f.model, opts);
  ASSERT_TRUE(base.ok());
  opts.latency_budget = base->latency_before * 0.5;
  opts.max_accuracy_drop = 10.0;
  absl::StatusOr<RefineResult> r = RefineFreeBits(f.problem, f.model, opts, f.Eval());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->feasible) << r->summary;
  EXPECT_LE(r->latency_after, *opts.latency_budget);
  EXPECT_EQ(r->config.weight_bits[3], 8);
  EXPECT_EQ(r->config.act_bits.at("t3"), 8);
  ASSERT_TRUE(r->start_point && r->final_point);
  EXPECT_GE(r->final_point->accuracy, r->start_point->accuracy - opts.max_accuracy_drop);
  EXPECT_EQ(r->evaluations, f.calls);
  for (const RefineMove& m : r->moves) {
    EXPECT_EQ(m.phase, "budget");
    EXPECT_LT(m.to_bits, m.from_bits);
    ASSERT_TRUE(m.eval.has_value());
  }
  // Latency never rises along the log (moves of one step share its total).
  for (size_t i = 1; i < r->moves.size(); ++i) {
    EXPECT_LE(r->moves[i].total_latency_after, r->moves[i - 1].total_latency_after);
  }
  EXPECT_NE(r->summary.find("met"), std::string::npos);
}

TEST(BudgetModeTest, ReportsAnInfeasibleBudgetWithTheBestPointFound) {
  BudgetFixture f;
  RefineOptions opts;
  opts.latency_budget = 1.0;  // far below even all-2-bit
  opts.max_accuracy_drop = 1.0;
  absl::StatusOr<RefineResult> r = RefineFreeBits(f.problem, f.model, opts, f.Eval());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->feasible);
  EXPECT_NE(r->summary.find("infeasible"), std::string::npos);
  EXPECT_LT(r->latency_after, r->latency_before);  // it still went as far as accuracy allowed
  ASSERT_TRUE(r->final_point.has_value());
  EXPECT_GE(r->final_point->accuracy, r->start_point->accuracy - 1.0);
  ASSERT_FALSE(r->moves.empty());
  EXPECT_DOUBLE_EQ(r->moves.back().total_latency_after, r->latency_after);
  // The reported config really has the reported latency and accuracy.
  absl::StatusOr<std::vector<double>> lat = ConfigLayerLatency(f.problem, f.model, r->config);
  ASSERT_TRUE(lat.ok());
  double total = 0;
  for (double v : *lat) total += v;
  EXPECT_DOUBLE_EQ(total, r->latency_after);
  EXPECT_DOUBLE_EQ(f.Eval()(r->config)->accuracy, r->final_point->accuracy);
}

TEST(BudgetModeTest, MetBudgetNeedsNoEvaluationAndUnmetBudgetNeedsACallback) {
  BudgetFixture f;
  RefineOptions opts;
  opts.latency_budget = 1e12;
  absl::StatusOr<RefineResult> r = RefineFreeBits(f.problem, f.model, opts, f.Eval());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->feasible);
  EXPECT_EQ(f.calls, 0);
  opts.latency_budget = 1.0;
  r = RefineFreeBits(f.problem, f.model, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status()));
}

TEST(BudgetModeTest, ActivationStepCarriesWeightsWhenOnlyBothTogetherAreFaster) {
  // SIMD-style table: lowering either operand alone is slower, lowering both is faster.
  RefineProblem p;
  p.act_tensors = {{"x", 8, false}};
  p.layers = {{"only", Sig(0), 8, "x", 1.0}};
  std::vector<LatencyRow> rows;
  for (int a : kBits) {
    for (int w : kBits) {
      const double v = a == w ? a + 2.0 : 12.0 + a + w;  // (8,8)=10, (4,4)=6, mixed >= 14
      rows.push_back({Sig(0), a, w, v});
    }
  }
  auto lut = *LookupTableModel::Create("simd", "cycles", rows, false);
  RefineOptions opts;
  opts.latency_budget = 6.0;
  opts.max_accuracy_drop = 5.0;
  EvalFn eval = [](const BitConfig& c) -> absl::StatusOr<EvalPoint> {
    const double loss = c.weight_bits[0] < 8 ? 0.2 : 0.1;
    return EvalPoint{loss, 90 - loss};
  };
  absl::StatusOr<RefineResult> r = RefineFreeBits(p, *lut, opts, eval);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->feasible) << r->summary;
  EXPECT_EQ(r->config.act_bits.at("x"), 4);
  EXPECT_EQ(r->config.weight_bits[0], 4);
  EXPECT_DOUBLE_EQ(r->latency_after, 6.0);
}

TEST(RefineErrorsTest, BadProblemsAreRefusedByName) {
  BopsModel bops;
  RefineProblem p = SharedProblem();
  p.layers[1].act_tensor = "y";
  absl::StatusOr<RefineResult> r = RefineFreeBits(p, bops, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layer 'b': unknown activation tensor 'y'"),
            std::string::npos);
  // A layer whose current pair the table cannot price is an error naming the layer.
  auto lut = *LookupTableModel::Create("t", "cycles", {{Sig(0), 4, 4, 1.0}}, false);
  r = RefineFreeBits(SharedProblem(), *lut, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layer 'b' at a4/w4"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace bitsearch::refine
