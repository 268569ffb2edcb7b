// The FracBits rounding rule: grid positions, nearest rounding with an offset, and the bisection
// that meets a feasible target within 1% or reports an infeasible one.
#include "search/methods/fracbits/fracbits_rounding.h"

#include <gtest/gtest.h>

#include <random>

namespace bitsearch::fracbits {
namespace {

TEST(FracBitsRoundingTest, GridPositionsAreLinearBetweenGridWidths) {
  EXPECT_DOUBLE_EQ(GridPosition(2), 0);
  EXPECT_DOUBLE_EQ(GridPosition(3), 0.5);
  EXPECT_DOUBLE_EQ(GridPosition(4), 1);
  EXPECT_DOUBLE_EQ(GridPosition(7), 1.75);
  EXPECT_DOUBLE_EQ(GridPosition(12), 2.5);
  EXPECT_DOUBLE_EQ(GridPosition(16), 3);
  EXPECT_DOUBLE_EQ(GridPosition(1), 0);   // clamped
  EXPECT_DOUBLE_EQ(GridPosition(40), 3);  // clamped
  for (double b = 2; b <= 16; b += 0.37) EXPECT_NEAR(BitsAtPosition(GridPosition(b)), b, 1e-12);
  EXPECT_EQ(GridIndex(8), 2);
  EXPECT_EQ(GridIndex(32), -1);
}

TEST(FracBitsRoundingTest, RoundsToNearestWithTheOffsetWithinLimits) {
  EXPECT_EQ(RoundedBits(1.4, 0, 2, 16), 4);
  EXPECT_EQ(RoundedBits(1.5, 0, 2, 16), 8);  // ties go up
  EXPECT_EQ(RoundedBits(1.6, -0.2, 2, 16), 4);
  EXPECT_EQ(RoundedBits(1.6, -1, 2, 16), 4);
  EXPECT_EQ(RoundedBits(0.2, -1, 2, 16), 2);
  EXPECT_EQ(RoundedBits(0.2, -1, 8, 16), 8);  // min_bits keeps a layer wide
  EXPECT_EQ(RoundedBits(2.9, 0, 2, 8), 8);    // max_bits caps
}

// A BOPs-like problem: cost = sum of weight_i * bits_i over random tensors.
struct Problem {
  RoundingProblem p;
  std::vector<double> weights;
};

Problem RandomProblem(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(0.3, 2.7), w(1, 100);
  Problem out;
  for (int i = 0; i < n; ++i) {
    out.p.positions.push_back(pos(rng));
    out.p.min_bits.push_back(2);
    out.p.max_bits.push_back(16);
    out.weights.push_back(w(rng));
  }
  return out;
}

double Price(const std::vector<double>& weights, const std::vector<int>& bits) {
  double c = 0;
  for (size_t i = 0; i < bits.size(); ++i) c += weights[i] * bits[i];
  return c;
}

TEST(FracBitsRoundingTest, BisectionMeetsAFeasibleTargetWithinOnePercent) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Problem pr = RandomProblem(200, seed);
    const auto& w = pr.weights;
    pr.p.cost = [&w](const std::vector<int>& bits) { return Price(w, bits); };
    // A target between the nearest rounding and the cheapest reachable configuration.
    std::vector<int> nearest, cheapest;
    for (double q : pr.p.positions) {
      nearest.push_back(RoundedBits(q, 0, 2, 16));
      cheapest.push_back(RoundedBits(q, -1, 2, 16));
    }
    const double hi = Price(w, nearest), lo = Price(w, cheapest);
    pr.p.target = lo + (0.3 + 0.02 * seed) * (hi - lo);
    RoundingResult r = RoundToTarget(pr.p);
    EXPECT_TRUE(r.feasible) << "seed " << seed;
    EXPECT_TRUE(r.within_tolerance) << "seed " << seed << " cost " << r.cost << " target " << pr.p.target;
    EXPECT_LE(r.cost, pr.p.target * 1.01);
    EXPECT_GE(r.cost, pr.p.target * 0.99);
    EXPECT_LE(r.tries, 10);
    EXPECT_LE(r.offset, 0);
    EXPECT_GE(r.offset, -1);
    EXPECT_DOUBLE_EQ(r.cost, Price(w, r.bits));
    // Only lowers bits, never by more than one grid step.
    for (size_t i = 0; i < r.bits.size(); ++i) {
      EXPECT_LE(r.bits[i], nearest[i]);
      EXPECT_GE(r.bits[i], cheapest[i]);
    }
  }
}

TEST(FracBitsRoundingTest, AlreadyUnderTheTargetKeepsNearestRounding) {
  Problem pr = RandomProblem(10, 3);
  const auto& w = pr.weights;
  pr.p.cost = [&w](const std::vector<int>& bits) { return Price(w, bits); };
  std::vector<int> nearest;
  for (double q : pr.p.positions) nearest.push_back(RoundedBits(q, 0, 2, 16));
  pr.p.target = 2 * Price(w, nearest);
  pr.p.tighten = false;
  RoundingResult r = RoundToTarget(pr.p);
  EXPECT_EQ(r.offset, 0);
  EXPECT_EQ(r.bits, nearest);
  EXPECT_EQ(r.tries, 1);
  EXPECT_TRUE(r.feasible);
  EXPECT_FALSE(r.within_tolerance);  // far under: reported as such, never raised
  EXPECT_EQ(r.moves, 0);
}

// LeNet-5's shape: conv2 carries 75% of the MACs, so one offset jumps in big steps. Cost: relative
// BOPs, sum MACs x weight bits x input bits over 32 x 32 bits everywhere; tensors 0-3 the
// weights, 4-6 the inputs of conv2, fc1, fc2 (conv1's input is the data, fixed at 8 bits).
RoundingProblem LeNetShapedProblem(double target) {
  RoundingProblem p;
  const std::vector<double> macs = {460800, 3276800, 524288, 5120};
  p.positions = {1.8, 0.9, 0.7, 1.6, 1.2, 1.1, 1.7};
  p.min_bits.assign(7, 2);
  p.max_bits.assign(7, 16);
  p.target = target;
  p.cost = [macs](const std::vector<int>& b) {
    const double acts[4] = {8.0, double(b[4]), double(b[5]), double(b[6])};
    double bops = 0, full = 0;
    for (size_t k = 0; k < 4; ++k) {
      bops += macs[k] * b[k] * acts[k];
      full += macs[k] * 32 * 32;
    }
    return 100 * bops / full;
  };
  return p;
}

TEST(FracBitsRoundingTest, ExactPassMeetsTargetsOneOffsetMisses) {
  int bisection_missed = 0;
  for (double target : {0.6, 0.75, 1.0, 1.5, 2.0, 3.0}) {  // all at 2 bits: 0.52%
    RoundingProblem p = LeNetShapedProblem(target);
    p.tighten = false;
    const RoundingResult coarse = RoundToTarget(p);
    p.tighten = true;
    const RoundingResult r = RoundToTarget(p);
    ASSERT_TRUE(r.feasible) << target;
    EXPECT_TRUE(r.within_tolerance) << "target " << target << "%: cost " << r.cost;
    EXPECT_LE(r.cost, target * 1.01);
    EXPECT_GE(r.cost, target * 0.99);
    EXPECT_DOUBLE_EQ(r.cost, p.cost(r.bits));
    EXPECT_LE(std::abs(r.cost - target), std::abs(coarse.cost - target) + 1e-12);
    if (!coarse.within_tolerance) {
      ++bisection_missed;
      EXPECT_GT(r.moves, 0);
    }
  }
  EXPECT_GE(bisection_missed, 3);  // the pass (exact: 7 tensors) is what meets them
}

// 12 tensors: too many to try every configuration, so the greedy pass.
TEST(FracBitsRoundingTest, GreedyPassNeverPassesTheTargetAndKeepsLimits) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Problem pr = RandomProblem(12, seed);
    const auto& w = pr.weights;
    pr.p.min_bits[0] = 8;
    pr.p.max_bits[1] = 4;
    pr.p.cost = [&w](const std::vector<int>& bits) { return Price(w, bits); };
    std::vector<int> nearest, narrowest(12, 2);
    for (double q : pr.p.positions) nearest.push_back(RoundedBits(q, 0, 2, 16));
    narrowest[0] = 8;
    // Between the narrowest configuration and twice nearest rounding: feasible, and both below
    // and above what nearest rounding costs.
    const double lo = Price(w, narrowest), hi = 2 * Price(w, nearest);
    pr.p.target = lo + (0.05 * seed) * (hi - lo);
    const RoundingResult r = RoundToTarget(pr.p);
    ASSERT_TRUE(r.feasible) << seed;
    EXPECT_LE(r.cost, pr.p.target * 1.01) << seed;
    EXPECT_DOUBLE_EQ(r.cost, Price(w, r.bits));
    EXPECT_GE(r.bits[0], 8);
    EXPECT_LE(r.bits[1], 4);
    EXPECT_TRUE(r.within_tolerance) << "seed " << seed << " cost " << r.cost << " target "
                                    << pr.p.target;
  }
}

TEST(FracBitsRoundingTest, ReportsAnInfeasibleTarget) {
  Problem pr = RandomProblem(10, 4);
  const auto& w = pr.weights;
  pr.p.cost = [&w](const std::vector<int>& bits) { return Price(w, bits); };
  std::vector<int> cheapest, narrowest(10, 2);
  for (double q : pr.p.positions) cheapest.push_back(RoundedBits(q, -1, 2, 16));
  // Below what every tensor at 2 bits costs: nothing reaches it.
  pr.p.target = 0.5 * Price(w, narrowest);
  pr.p.tighten = false;
  RoundingResult r = RoundToTarget(pr.p);
  EXPECT_FALSE(r.feasible);
  EXPECT_FALSE(r.within_tolerance);
  EXPECT_EQ(r.offset, -1);
  EXPECT_EQ(r.bits, cheapest);  // the cheapest configuration the offset can reach
  EXPECT_EQ(r.tries, 2);
  // The pass after it goes further down, and still reports the target out of reach.
  pr.p.tighten = true;
  const RoundingResult lower = RoundToTarget(pr.p);
  EXPECT_FALSE(lower.feasible);
  EXPECT_FALSE(lower.within_tolerance);
  EXPECT_LT(lower.cost, r.cost);
  EXPECT_DOUBLE_EQ(lower.cost, Price(w, lower.bits));
}

TEST(FracBitsRoundingTest, RespectsPerTensorLimits) {
  RoundingProblem p;
  p.positions = {2.4, 2.4, 0.9};
  p.min_bits = {8, 2, 2};
  p.max_bits = {16, 16, 4};
  p.cost = [](const std::vector<int>& bits) { return double(bits[0] + bits[1] + bits[2]); };
  p.target = 1;  // unreachable
  RoundingResult r = RoundToTarget(p);
  EXPECT_FALSE(r.feasible);
  EXPECT_EQ(r.bits, (std::vector<int>{8, 2, 2}));  // as low as each tensor may go
}

}  // namespace
}  // namespace bitsearch::fracbits
