// FracBits' rounding step (the search's end game): every searched tensor carries a real-valued
// bit width on the grid {2, 4, 8, 16}; at a fixed share of the search they are rounded to grid
// widths with one global offset, found by bisection so that the rounded configuration meets the
// resource target (relative BOPs or latency) within a tolerance. The offset only ever lowers
// bits. One offset over a few tensors is coarse (LeNet-5: conv2 carries 75% of the MACs, so a 3%
// BOPs target landed at 2.26%), so TightenToTarget then changes single tensors' widths.
//
// Torch-free: the caller prices a rounded configuration through a callback (the pipeline's cost
// model or latency profile), so the rule is tested on hand-made problems.
// Thread-safety: pure functions; the callback runs on the calling thread.
#ifndef BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_ROUNDING_H_
#define BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_ROUNDING_H_

#include <array>
#include <functional>
#include <vector>

namespace bitsearch::fracbits {

// The bit widths FracBits blends between.
inline constexpr std::array<int, 4> kGrid = {2, 4, 8, 16};

// Where a real bit width sits on the grid: k + t for bits = (1 - t) kGrid[k] + t kGrid[k + 1],
// so 2 -> 0, 3 -> 0.5, 4 -> 1, 6 -> 1.5, 8 -> 2, 16 -> 3 (clamped to [2, 16]).
double GridPosition(double bits);
// The inverse: the real bit width at grid position `position` (clamped to [0, 3]).
double BitsAtPosition(double position);
// Grid index of a grid width (2 -> 0, ..., 16 -> 3); -1 for a width off the grid.
int GridIndex(int bits);

// The grid width a tensor at `position` gets with offset `offset`: the nearest grid point of
// position + offset (ties go up), kept within [min_bits, max_bits].
int RoundedBits(double position, double offset, int min_bits, int max_bits);

struct RoundingProblem {
  std::vector<double> positions;  // GridPosition of each searched tensor's bit width
  std::vector<int> min_bits;      // per tensor: lowest width allowed (8 for a kept-wide layer)
  std::vector<int> max_bits;      // per tensor: highest width allowed (the search's max_bits)
  double target = 0;              // in the cost's unit; > 0
  // Prices a configuration: one grid width per tensor, in `positions` order.
  std::function<double(const std::vector<int>& bits)> cost;
  double tolerance = 0.01;  // accepted when cost <= target (1 + tolerance); done when also
                            // cost >= target (1 - tolerance)
  int max_tries = 10;       // bisection's cost evaluations at most (the two ends included)
  bool tighten = true;      // the greedy pass after the bisection (false: the bisection alone)
};

struct RoundingResult {
  double offset = 0;      // in [-1, 0] grid steps
  std::vector<int> bits;  // the rounded widths, in `positions` order
  double cost = 0;        // of `bits`
  int tries = 0;          // cost evaluations made
  // cost <= target (1 + tolerance). When false neither the offset nor the greedy pass reaches
  // the target, and `bits` are the cheapest configuration they found.
  bool feasible = false;
  // |cost - target| <= tolerance * target.
  bool within_tolerance = false;
  int moves = 0;  // tensors the pass after the bisection changed
};

// The rounding rule: offset 0 when nearest rounding is feasible; otherwise the offset in [-1, 0]
// closest to 0 whose rounding is feasible, by bisection (stopping early inside the tolerance);
// then, unless within the tolerance already, TightenToTarget.
RoundingResult RoundToTarget(const RoundingProblem& problem);

// After the bisection, unless already within the tolerance. A small problem (at most
// kMaxExhaustive configurations of the allowed widths: 9 tensors on the whole grid; LeNet-5 has
// 7) is solved exactly: of all configurations, the one within the tolerance that strays least from
// the searched positions; failing that, the one closest under the target; failing that, the
// cheapest. A larger one gets a greedy pass: repeatedly the move (one tensor one grid step up or
// down, or one up and another down) to the best configuration by the same order (within the
// tolerance; else feasible and closest under the target; else cheapest; ties to the least
// stray), until within the tolerance or no move improves (O(n^2) prices per round, at most 4 n
// rounds). Either way a target is reported infeasible only
// when nothing it tried reaches it. A per-tensor grid can hold no configuration within 1% of a
// target at all (LeNet-5 has none for 3% relative BOPs with 8-bit widths at most); the result then
// says so (within_tolerance false) and ends at the closest one under the target.
inline constexpr double kMaxExhaustive = 1 << 18;
RoundingResult TightenToTarget(const RoundingProblem& problem, RoundingResult start);

}  // namespace bitsearch::fracbits

#endif  // BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_ROUNDING_H_
