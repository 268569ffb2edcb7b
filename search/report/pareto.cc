#include "search/report/pareto.h"

#include <algorithm>
#include <cmath>

namespace bitsearch {
namespace {

bool Finite(const TradeoffPoint& p) { return std::isfinite(p.accuracy) && std::isfinite(p.cost); }

// a dominates b: at least as good in both, strictly better in one.
bool Dominates(const TradeoffPoint& a, const TradeoffPoint& b) {
  return a.accuracy >= b.accuracy && a.cost <= b.cost && (a.accuracy > b.accuracy || a.cost < b.cost);
}

}  // namespace

std::vector<bool> ParetoOptimal(const std::vector<TradeoffPoint>& points) {
  std::vector<bool> optimal(points.size(), false);
  for (size_t i = 0; i < points.size(); ++i) {
    if (!Finite(points[i])) continue;
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      dominated = j != i && Finite(points[j]) && Dominates(points[j], points[i]);
    }
    optimal[i] = !dominated;
  }
  return optimal;
}

std::vector<size_t> ParetoFrontByCost(const std::vector<TradeoffPoint>& points) {
  std::vector<bool> optimal = ParetoOptimal(points);
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    if (optimal[i]) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    if (points[a].cost != points[b].cost) return points[a].cost < points[b].cost;
    if (points[a].accuracy != points[b].accuracy) return points[a].accuracy > points[b].accuracy;
    return a < b;
  });
  return front;
}

}  // namespace bitsearch
