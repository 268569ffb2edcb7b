#include "search/methods/fracbits/fracbits_rounding.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace bitsearch::fracbits {

double GridPosition(double bits) {
  bits = std::clamp(bits, double{kGrid.front()}, double{kGrid.back()});
  for (size_t k = 0; k + 1 < kGrid.size(); ++k) {
    if (bits <= kGrid[k + 1]) return k + (bits - kGrid[k]) / (kGrid[k + 1] - kGrid[k]);
  }
  return kGrid.size() - 1;
}

double BitsAtPosition(double position) {
  position = std::clamp(position, 0.0, static_cast<double>(kGrid.size() - 1));
  const size_t k = std::min(static_cast<size_t>(position), kGrid.size() - 2);
  const double t = position - k;
  return (1 - t) * kGrid[k] + t * kGrid[k + 1];
}

int GridIndex(int bits) {
  for (size_t k = 0; k < kGrid.size(); ++k) {
    if (kGrid[k] == bits) return static_cast<int>(k);
  }
  return -1;
}

int RoundedBits(double position, double offset, int min_bits, int max_bits) {
  const int lo = std::max(GridIndex(min_bits), 0);
  const int hi = GridIndex(max_bits) < 0 ? static_cast<int>(kGrid.size()) - 1 : GridIndex(max_bits);
  const int k = static_cast<int>(std::floor(position + offset + 0.5));
  return kGrid[std::clamp(k, lo, std::max(lo, hi))];
}

namespace {

std::vector<int> RoundAll(const RoundingProblem& p, double offset) {
  std::vector<int> bits(p.positions.size());
  for (size_t i = 0; i < bits.size(); ++i) {
    bits[i] = RoundedBits(p.positions[i], offset, p.min_bits[i], p.max_bits[i]);
  }
  return bits;
}

}  // namespace

RoundingResult RoundToTarget(const RoundingProblem& p) {
  const double upper = p.target * (1 + p.tolerance);
  const double lower = p.target * (1 - p.tolerance);
  RoundingResult out;
  auto price = [&](double offset, RoundingResult& r) {
    r.offset = offset;
    r.bits = RoundAll(p, offset);
    r.cost = p.cost(r.bits);
    r.feasible = r.cost <= upper;
    r.within_tolerance = r.feasible && r.cost >= lower;
    ++out.tries;
  };
  price(0.0, out);
  // Already under: the offset never raises bits, the greedy pass may.
  if (out.feasible) return p.tighten ? TightenToTarget(p, std::move(out)) : out;
  RoundingResult best;
  price(-1.0, best);
  best.tries = out.tries;
  // Infeasible for every offset: the greedy pass may still reach the target by lowering single
  // tensors further.
  if (!best.feasible) return p.tighten ? TightenToTarget(p, std::move(best)) : best;
  // Invariant: `best.offset` is feasible, `infeasible` is not; halve the gap between them.
  double infeasible = 0.0;
  while (!best.within_tolerance && out.tries < p.max_tries) {
    RoundingResult mid;
    price(0.5 * (best.offset + infeasible), mid);
    if (mid.feasible) {
      best = mid;
    } else {
      infeasible = mid.offset;
    }
  }
  best.tries = out.tries;
  return p.tighten ? TightenToTarget(p, std::move(best)) : best;
}

namespace {

bool Allowed(const RoundingProblem& p, size_t i, int k) {
  const int lo = std::max(GridIndex(p.min_bits[i]), 0);
  const int hi = GridIndex(p.max_bits[i]) < 0 ? static_cast<int>(kGrid.size()) - 1
                                              : GridIndex(p.max_bits[i]);
  return k >= lo && k <= std::max(lo, hi);
}

// How far a configuration strays from the searched positions, in grid steps.
double Stray(const RoundingProblem& p, const std::vector<int>& bits) {
  double d = 0;
  for (size_t i = 0; i < bits.size(); ++i) d += std::abs(GridIndex(bits[i]) - p.positions[i]);
  return d;
}

// Every allowed width of every tensor, when that makes at most kMaxExhaustive configurations;
// empty otherwise.
std::vector<std::vector<int>> SmallChoices(const RoundingProblem& p) {
  std::vector<std::vector<int>> choices(p.positions.size());
  double count = 1;
  for (size_t i = 0; i < choices.size(); ++i) {
    for (int k = 0; k < static_cast<int>(kGrid.size()); ++k) {
      if (Allowed(p, i, k)) choices[i].push_back(k);
    }
    count *= choices[i].size();
    if (count > kMaxExhaustive) return {};
  }
  return choices;
}

// The exact answer on a small problem: of all configurations, one within the tolerance that
// strays least from the searched positions; else the feasible one closest to the target; else
// the cheapest.
RoundingResult Exhaustive(const RoundingProblem& p, const std::vector<std::vector<int>>& choices,
                          RoundingResult r) {
  const double upper = p.target * (1 + p.tolerance);
  const double lower = p.target * (1 - p.tolerance);
  const size_t n = choices.size();
  std::vector<size_t> at(n, 0);
  std::vector<int> bits(n);
  // Rank: 0 within the tolerance, 1 feasible, 2 over; then stray, gap, or cost.
  auto rank = [&](double cost, double stray) {
    if (cost <= upper && cost >= lower) return std::make_pair(0, stray);
    if (cost <= upper) return std::make_pair(1, p.target - cost);
    return std::make_pair(2, cost);
  };
  auto best = rank(r.cost, Stray(p, r.bits));
  const std::vector<int> start = r.bits;
  while (true) {
    for (size_t i = 0; i < n; ++i) bits[i] = kGrid[choices[i][at[i]]];
    const double cost = p.cost(bits);
    const auto here = rank(cost, Stray(p, bits));
    if (here < best) {
      best = here;
      r.bits = bits;
      r.cost = cost;
    }
    size_t i = 0;
    while (i < n && ++at[i] == choices[i].size()) at[i++] = 0;
    if (i == n) break;
  }
  r.moves = 0;
  for (size_t i = 0; i < n; ++i) r.moves += r.bits[i] != start[i];
  r.feasible = r.cost <= upper;
  r.within_tolerance = r.feasible && r.cost >= lower;
  return r;
}

}  // namespace

RoundingResult TightenToTarget(const RoundingProblem& p, RoundingResult r) {
  if (r.within_tolerance) return r;
  const std::vector<std::vector<int>> choices = SmallChoices(p);
  if (!choices.empty()) return Exhaustive(p, choices, std::move(r));
  const double upper = p.target * (1 + p.tolerance);
  const double lower = p.target * (1 - p.tolerance);
  const size_t n = r.bits.size();
  // Lower is better: within the tolerance, then feasible and closest under, then cheapest over;
  // the stray from the searched positions breaks ties.
  auto rank = [&](double cost, const std::vector<int>& bits) {
    const int kind = cost <= upper ? (cost >= lower ? 0 : 1) : 2;
    const double gap = kind == 0 ? 0.0 : std::abs(cost - p.target);
    return std::make_tuple(kind, gap, Stray(p, bits));
  };
  // A tensor can move at most the grid's length, so this many rounds reach any configuration.
  for (size_t round = 0; round < kGrid.size() * n && !r.within_tolerance; ++round) {
    auto best = rank(r.cost, r.bits);
    std::vector<int> best_bits;
    double best_cost = r.cost;
    int best_moves = 0;
    auto consider = [&](const std::vector<int>& bits, int moves) {
      const double cost = p.cost(bits);
      const auto here = rank(cost, bits);
      if (here < best) {
        best = here;
        best_bits = bits;
        best_cost = cost;
        best_moves = moves;
      }
    };
    std::vector<int> bits = r.bits;
    for (size_t i = 0; i < n; ++i) {
      const int ki = GridIndex(r.bits[i]);
      for (int di : {-1, 1}) {
        if (!Allowed(p, i, ki + di)) continue;
        bits[i] = kGrid[ki + di];
        consider(bits, 1);
        if (di == 1) {  // one up, another down
          for (size_t j = 0; j < n; ++j) {
            const int kj = GridIndex(r.bits[j]);
            if (j == i || !Allowed(p, j, kj - 1)) continue;
            bits[j] = kGrid[kj - 1];
            consider(bits, 2);
            bits[j] = r.bits[j];
          }
        }
        bits[i] = r.bits[i];
      }
    }
    if (best_bits.empty()) break;  // no move gets closer
    r.bits = std::move(best_bits);
    r.cost = best_cost;
    r.moves += best_moves;
    r.feasible = r.cost <= upper;
    r.within_tolerance = r.feasible && r.cost >= lower;
  }
  return r;
}

}  // namespace bitsearch::fracbits
