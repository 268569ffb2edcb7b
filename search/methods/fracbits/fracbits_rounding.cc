#include "search/methods/fracbits/fracbits_rounding.h"

#include <algorithm>
#include <cmath>

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
  if (out.feasible) return out;  // already under: the offset never raises bits
  RoundingResult best;
  price(-1.0, best);
  best.tries = out.tries;
  if (!best.feasible) return best;  // infeasible: the cheapest reachable configuration
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
  return best;
}

}  // namespace bitsearch::fracbits
