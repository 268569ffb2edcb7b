// The uniform grid of a fixed-bit tensor quantizer, as every bitsearch quantizer builds it
// (search/tensor_quantizer.h, search/bb_kernel.h): clipping bound x_max, range 2 x_max (signed)
// or x_max (unsigned), step s_b = range / 3 / 5 / 17 / 257 computed step by step in float, so a
// signed tensor gets the integers [-(2^(b-1) - 1), 2^(b-1) - 1] and an unsigned one [0, 2^b - 1].
// Post-training quantization chooses x_max (range setting), the rounding of weights onto this grid
// (AdaRound) and measures errors on it; the export writes the same integers.
//
// x_max may be a scalar or one value per output channel (a tensor broadcastable against the
// quantized tensor's first dimension). Thread-safety: stateless functions.
#ifndef BITSEARCH_SEARCH_PTQ_GRID_H_
#define BITSEARCH_SEARCH_PTQ_GRID_H_

#include <torch/torch.h>

#include <cstdint>

namespace bitsearch {

// The clip bound sits just inside x_max (search/bb_kernel.cc's kClipShrink).
inline constexpr float kGridClipShrink = 1.0f - 1e-7f;

// Bits that put a tensor on a grid: 0 prunes it, 32 leaves it float.
inline bool QuantizesAtBits(int bits) { return bits > 0 && bits < 32; }

// Integer bounds of a b-bit grid (b in 2..16).
int64_t GridQmin(int bits, bool is_signed);
int64_t GridQmax(int bits, bool is_signed);

// Step s_b for clipping bound(s) `x_max` (float, any shape), computed as the Bayesian Bits kernel
// does so that fixed quantizers of both kinds put values on identical grids.
torch::Tensor GridStep(const torch::Tensor& x_max, int bits, bool is_signed);
float GridStep(float x_max, int bits, bool is_signed);

// Reshapes a per-channel x_max [C] so that it broadcasts against `x` along dimension 0; a
// scalar (numel 1) stays a scalar.
torch::Tensor ChannelView(const torch::Tensor& x_max, const torch::Tensor& x);

// Nearest grid value of `c`, already clipped: s_b * clamp(round(c / s_b), qmin, qmax). The clamp
// keeps the integer on the grid: a signed clip bound sits half a step above the top integer
// (x_max / s_b = 2^(b-1) - 1/2), so c / s_b can round up past it by float error.
torch::Tensor RoundToGrid(const torch::Tensor& c, const torch::Tensor& step, int bits,
                          bool is_signed);
// Nearest rounding of `x` onto the grid: s_b * round(clamp(x, lo, hi) / s_b), hi = x_max shrunk,
// lo = -hi (signed) or 0. Bits 32 only clip. No gradient is defined (use in no-grad code).
torch::Tensor FakeQuantize(const torch::Tensor& x, const torch::Tensor& x_max, int bits,
                           bool is_signed);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_GRID_H_
