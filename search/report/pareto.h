// Pareto marking of trade-off points: which configurations are not beaten on both accuracy and
// cost. Used for the front a result's chart draws, `bitsearch compare`, and sweeps (a sweep's
// points marked in (accuracy, latency) and in (accuracy, relative BOPs)).
//
// Torch-free and dependency-free. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_REPORT_PARETO_H_
#define BITSEARCH_SEARCH_REPORT_PARETO_H_

#include <cstddef>
#include <vector>

namespace bitsearch {

struct TradeoffPoint {
  double accuracy = 0;  // higher is better (top-1 %)
  double cost = 0;      // lower is better (latency on a profile, relative BOPs)
};

// For each point, whether it is Pareto-optimal: no other point is at least as accurate and at
// most as costly while strictly better in one of the two. Equal points do not dominate each
// other, so duplicates on the front are all marked. A point with a non-finite coordinate is never
// marked and dominates nothing. O(n^2); n is a sweep's size.
std::vector<bool> ParetoOptimal(const std::vector<TradeoffPoint>& points);

// The indices of the Pareto-optimal points in increasing cost (ties by decreasing accuracy, then
// index): the order in which a chart draws the front's line.
std::vector<size_t> ParetoFrontByCost(const std::vector<TradeoffPoint>& points);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_PARETO_H_
