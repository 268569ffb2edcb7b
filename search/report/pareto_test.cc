#include "search/report/pareto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace bitsearch {
namespace {

TEST(ParetoTest, NoPointsNoFront) {
  EXPECT_TRUE(ParetoOptimal({}).empty());
  EXPECT_TRUE(ParetoFrontByCost({}).empty());
}

TEST(ParetoTest, ASinglePointIsOptimal) {
  EXPECT_EQ(ParetoOptimal({{80, 5}}), std::vector<bool>({true}));
}

TEST(ParetoTest, MoreAccurateAndCheaperDominates) {
  // (90, 10) beats (85, 20); (95, 30) trades accuracy for cost and stays.
  EXPECT_EQ(ParetoOptimal({{85, 20}, {90, 10}, {95, 30}}), std::vector<bool>({false, true, true}));
}

TEST(ParetoTest, ATieInOneCoordinateIsDecidedByTheOther) {
  // Same accuracy: the cheaper wins. Same cost: the more accurate wins.
  EXPECT_EQ(ParetoOptimal({{90, 10}, {90, 20}}), std::vector<bool>({true, false}));
  EXPECT_EQ(ParetoOptimal({{90, 10}, {95, 10}}), std::vector<bool>({false, true}));
}

TEST(ParetoTest, DuplicatesDoNotDominateEachOther) {
  EXPECT_EQ(ParetoOptimal({{90, 10}, {90, 10}, {80, 20}}), std::vector<bool>({true, true, false}));
}

TEST(ParetoTest, NonFinitePointsAreNeverOptimalAndDominateNothing) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // An infinitely accurate free point would dominate everything if it counted.
  EXPECT_EQ(ParetoOptimal({{inf, 0}, {nan, 1}, {80, 20}, {70, nan}}),
            std::vector<bool>({false, false, true, false}));
}

TEST(ParetoTest, FrontIsOrderedByCostThenAccuracy) {
  std::vector<TradeoffPoint> p = {{95, 30}, {85, 20}, {90, 10}, {70, 5}, {90, 10}};
  EXPECT_EQ(ParetoFrontByCost(p), std::vector<size_t>({3, 2, 4, 0}));
}

// The definition checked directly on random points with many ties (a fixed seed).
TEST(ParetoTest, MatchesTheDefinitionOnRandomPoints) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coord(0, 6);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<TradeoffPoint> p(1 + trial % 12);
    for (auto& q : p) q = {static_cast<double>(coord(rng)), static_cast<double>(coord(rng))};
    std::vector<bool> got = ParetoOptimal(p);
    for (size_t i = 0; i < p.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < p.size(); ++j) {
        dominated |= p[j].accuracy >= p[i].accuracy && p[j].cost <= p[i].cost &&
                     (p[j].accuracy > p[i].accuracy || p[j].cost < p[i].cost);
      }
      ASSERT_EQ(got[i], !dominated) << "trial " << trial << " point " << i;
    }
    // Along the front, cost rises and accuracy rises (or stays, for duplicates).
    std::vector<size_t> front = ParetoFrontByCost(p);
    for (size_t k = 1; k < front.size(); ++k) {
      ASSERT_LE(p[front[k - 1]].cost, p[front[k]].cost);
      ASSERT_LE(p[front[k - 1]].accuracy, p[front[k]].accuracy);
    }
  }
}

}  // namespace
}  // namespace bitsearch
