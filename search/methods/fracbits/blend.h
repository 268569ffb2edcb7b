// FracBits' blended quantizer arithmetic (FracBits, AAAI 2021, on bitsearch's grid): a tensor
// with a real-valued bit width lambda between neighbouring grid widths lo <= lambda <= hi of
// {2, 4, 8, 16} is quantized as Q(x) = t Q_hi(x) + (1 - t) Q_lo(x), t = (lambda - lo) / (hi - lo),
// so dQ/dlambda = (Q_hi - Q_lo) / (hi - lo) and the expected bit width is lambda itself. Q_b is
// the quantizer seam's grid at b bits (search/tensor_quantizer.h: learnable x_max, step
// range / (2^b - 1)), computed by the Bayesian Bits kernel with its gates fixed, which is also
// what a fixed-bit layer and the export use. On that grid Q_hi = Q_lo + the residual e_hi, so the
// blend is the kernel with the gate of hi set to t: one fused pass for a per-tensor width.
// Thread-safety: stateless.
#ifndef BITSEARCH_SEARCH_METHODS_FRACBITS_BLEND_H_
#define BITSEARCH_SEARCH_METHODS_FRACBITS_BLEND_H_

#include <torch/torch.h>

namespace bitsearch::fracbits {

// Interpolation weights over the grid {2, 4, 8, 16} of real bit widths `bits` (any shape):
// [..., 4], (1 - t) at lo and t at hi, zero elsewhere; `bits` is clamped to [2, 16]. Piecewise
// linear and differentiable in `bits` (the gradient vanishes exactly at grid widths, so never
// start a search on one).
torch::Tensor GridWeights(const torch::Tensor& bits);

// The seam's grid quantizer at a fixed width `bits` in {2, 4, 8, 16, 32}, straight-through.
torch::Tensor GridQuantize(const torch::Tensor& x, const torch::Tensor& x_max, int bits,
                           bool is_signed);

// The blend. `bits`: a scalar (one width per tensor) or [C] (one per output channel; C is x's
// first dimension). Gradients reach x (straight-through), x_max and bits.
torch::Tensor BlendedQuantize(const torch::Tensor& x, const torch::Tensor& x_max,
                              const torch::Tensor& bits, bool is_signed);

}  // namespace bitsearch::fracbits

#endif  // BITSEARCH_SEARCH_METHODS_FRACBITS_BLEND_H_
