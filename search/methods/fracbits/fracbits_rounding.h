// FracBits' rounding step (the search's end game): every searched tensor carries a real-valued
// bit width on the grid {2, 4, 8, 16}; at a fixed share of the search they are rounded to grid
// widths with one global offset, found by bisection so that the rounded configuration meets the
// resource target (relative BOPs or latency) within a tolerance. The offset only ever lowers
// bits: when plain nearest rounding is already within the target, it is taken as it is.
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
  int max_tries = 10;       // cost evaluations at most (the two ends included)
};

struct RoundingResult {
  double offset = 0;      // in [-1, 0] grid steps
  std::vector<int> bits;  // the rounded widths, in `positions` order
  double cost = 0;        // of `bits`
  int tries = 0;          // cost evaluations made
  // cost <= target (1 + tolerance). When false even offset -1 misses the target, and `bits` are
  // that cheapest reachable configuration.
  bool feasible = false;
  // |cost - target| <= tolerance * target.
  bool within_tolerance = false;
};

// The rounding rule: offset 0 when nearest rounding is feasible; otherwise the offset in [-1, 0]
// closest to 0 whose rounding is feasible, by bisection (stopping early inside the tolerance).
RoundingResult RoundToTarget(const RoundingProblem& problem);

}  // namespace bitsearch::fracbits

#endif  // BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_ROUNDING_H_
