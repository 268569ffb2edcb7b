#include "search/methods/fracbits/blend.h"

#include <algorithm>
#include <vector>

#include "search/bb_kernel.h"
#include "search/methods/fracbits/fracbits_rounding.h"

namespace bitsearch::fracbits {
namespace {

// Gates z4, z8, z16, z32 of the Bayesian Bits kernel that give the grid at `bits`.
torch::Tensor FixedGates(int bits) {
  torch::Tensor zs = torch::zeros({4});
  for (int k = 0; k < 4; ++k) {
    if (bits >= kBBBits[k + 1]) zs[k] = 1.0f;
  }
  return zs;
}

}  // namespace

torch::Tensor GridWeights(const torch::Tensor& bits) {
  torch::Tensor b = bits.clamp(kGrid.front(), kGrid.back());
  // Grid position: k + t on the k-th interval.
  torch::Tensor pos = torch::zeros_like(b);
  for (size_t k = 0; k + 1 < kGrid.size(); ++k) {
    const double width = kGrid[k + 1] - kGrid[k];
    pos = pos + ((b - kGrid[k]) / width).clamp(0.0, 1.0);
  }
  std::vector<torch::Tensor> w;
  for (size_t k = 0; k < kGrid.size(); ++k) w.push_back(torch::relu(1.0 - (pos - double(k)).abs()));
  return torch::stack(w, -1);
}

torch::Tensor GridQuantize(const torch::Tensor& x, const torch::Tensor& x_max, int bits,
                           bool is_signed) {
  return BBQuantize(x, x_max, torch::ones({1}, x.options()), FixedGates(bits).to(x.options()),
                    is_signed);
}

torch::Tensor BlendedQuantize(const torch::Tensor& x, const torch::Tensor& x_max,
                              const torch::Tensor& bits, bool is_signed) {
  torch::Tensor w = GridWeights(bits);  // [4] or [C, 4]
  if (bits.dim() == 0) {
    // Nested gates: P(width >= 4), P(width >= 8 | >= 4), ... With two neighbouring weights
    // (1 - t, t) these are 1 below hi, t at hi and 0 above, so the kernel's gated sum
    // Q_2 + z4 (e4 + z8 (e8 + z16 e16)) is exactly (1 - t) Q_lo + t Q_hi.
    torch::Tensor at_least = w.flip(0).cumsum(0).flip(0);  // [P(>=2), P(>=4), P(>=8), P(>=16)]
    torch::Tensor zs = torch::cat({at_least.slice(0, 1, 4), torch::zeros({1}, w.options())});
    return BBQuantize(x, x_max, torch::ones({1}, x.options()), zs.to(x.options()), is_signed);
  }
  // Per output channel: the weighted sum of the grid quantizers a channel uses.
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  torch::Tensor out = torch::zeros_like(x);
  const torch::Tensor used = (w > 0).any(0);
  for (size_t k = 0; k < kGrid.size(); ++k) {
    if (!used[k].item<bool>()) continue;
    out = out + w.select(1, k).view(shape).to(x.dtype()) * GridQuantize(x, x_max, kGrid[k], is_signed);
  }
  return out;
}

}  // namespace bitsearch::fracbits
