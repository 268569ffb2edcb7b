// The Bayesian Bits quantizer's arithmetic (van Baalen et al., arXiv:2005.07093): clip
// to [lo, x_max], s2 = (x_max - lo) / 3 and s_2b = s_b / (2^b + 1), doubling residual
// decomposition up to 32 bits, gated sum. Two implementations of one function:
//  - BBQuantize: a fused CPU kernel (one pass over the tensor forward, one backward) wrapped in
//    a custom autograd function; other devices fall back to the composite version.
//  - BBQuantizeComposite: plain tensor ops with straight-through rounding; the oracle in tests.
// Reductions in the fused backward use a fixed chunking, so gradients are bit-identical whatever
// the thread count. The fused kernel's loops are built for several instruction sets (four lanes
// everywhere; eight with AVX2 on x86-64) and the widest the CPU runs is used; all give
// bit-identical outputs and gradients. Thread-safety: stateless, but for the process-wide choice
// of instruction set (UseBBKernelInstructionSet), which tests and benchmarks make.
#ifndef BITSEARCH_SEARCH_BB_KERNEL_H_
#define BITSEARCH_SEARCH_BB_KERNEL_H_

#include <torch/torch.h>

#include <string>
#include <vector>

namespace bitsearch {

// Step-size divisors: s2 = range / 3, s4 = s2 / 5, s8 = s4 / 17, s16 = s8 / 257, s32 = s16 / 65537.
inline constexpr double kBBDivisors[5] = {3.0, 5.0, 17.0, 257.0, 65537.0};
inline constexpr int kBBBits[5] = {2, 4, 8, 16, 32};

// x: float tensor; for per-channel gates its first dimension is the channel (weights).
// x_max: scalar tensor (> 0). z2: [C] per-channel 0-bit gate or [1] (activations, pass ones).
// zs: [4] gates z4, z8, z16, z32. is_signed: clip to [-x_max, x_max] rather than [0, x_max].
// Returns x_q = z2 * (x2 + z4 * (e4 + z8 * (e8 + z16 * (e16 + z32 * e32)))), with identity
// gradients through rounding and gradients to x, x_max, z2 and zs.
torch::Tensor BBQuantize(const torch::Tensor& x, const torch::Tensor& x_max, const torch::Tensor& z2,
                         const torch::Tensor& zs, bool is_signed);

torch::Tensor BBQuantizeComposite(const torch::Tensor& x, const torch::Tensor& x_max,
                                  const torch::Tensor& z2, const torch::Tensor& zs, bool is_signed);

// The fused kernel's instruction sets that this build has and this CPU runs, narrowest first:
// "generic" always, then "avx2" where available.
std::vector<std::string> BBKernelInstructionSets();

// The one BBQuantize uses now: the widest available unless UseBBKernelInstructionSet chose one.
std::string BBKernelInstructionSet();

// Makes BBQuantize use `name` (one of BBKernelInstructionSets()) for the whole process; false,
// and no change, when it is not available. For comparing them (tests, bench/step_bench).
bool UseBBKernelInstructionSet(const std::string& name);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_BB_KERNEL_H_
