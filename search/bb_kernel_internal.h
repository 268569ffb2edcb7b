// What the Bayesian Bits kernel (bb_kernel.cc) shares with its loops over one range of elements,
// which are compiled once per instruction set (bb_kernel_lanes.h): the per-tensor constants, the
// per-range gradient sums, and the table of one instruction set's loops. Not for other callers.
#ifndef BITSEARCH_SEARCH_BB_KERNEL_INTERNAL_H_
#define BITSEARCH_SEARCH_BB_KERNEL_INTERNAL_H_

#include <array>
#include <cstdint>

namespace bitsearch::bb_kernel_internal {

// The clip bound sits just inside x_max so that no value lands exactly on a rounding tie at the
// grid's edge (x_max / s2 = 1.5 for signed tensors), which would add a level (as the reference
// quantizer does it).
inline constexpr float kClipShrink = 1.0f - 1e-7f;

struct KernelParams {
  float lo, hi;        // clip bounds (shrunk)
  float range;         // hi - lo
  float s[5];          // step sizes s2 .. s32
  float z[4];          // z4 .. z32
  int levels_on;       // 1 + number of consecutive non-zero gates among z4..z32
  bool is_signed;
};

// Per-level constants of the backward pass for one gate value z2.
struct BackwardConsts {
  float P[6];  // P[l] = z2 * z4 * ... up to level l; P[L] = 0
  float w[5];  // weight of each level's rounding error in d x_q / d range
  float drange_dxmax;
};

// Sums of one range's gradient contributions: [x_max, z4, z8, z16, z32, z2].
using Sums = std::array<double, 6>;

// One instruction set's loops over n elements that share one gate (levels = levels_on).
struct RangeKernels {
  const char* name;
  void (*forward)(const KernelParams& p, const float* x, float* out, int64_t n, float gate);
  Sums (*backward)(const KernelParams& p, const BackwardConsts& k, const float* x, const float* g,
                   float* gx, int64_t n);
};

// Four lanes in the compiler's generic vectors (SSE2 on x86-64, NEON on arm64): every machine.
RangeKernels GenericRangeKernels();
#if defined(BITSEARCH_BB_KERNEL_X86)
RangeKernels Avx2RangeKernels();  // eight lanes; call only where the CPU has AVX2
#endif

}  // namespace bitsearch::bb_kernel_internal

#endif  // BITSEARCH_SEARCH_BB_KERNEL_INTERNAL_H_
