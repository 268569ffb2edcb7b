#include "search/ptq/grid.h"

#include "search/bb_kernel.h"

namespace bitsearch {

int64_t GridQmin(int bits, bool is_signed) {
  return is_signed ? -((int64_t{1} << (bits - 1)) - 1) : 0;
}

int64_t GridQmax(int bits, bool is_signed) {
  return is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
}

torch::Tensor GridStep(const torch::Tensor& x_max, int bits, bool is_signed) {
  torch::Tensor xm = x_max.to(torch::kFloat);
  torch::Tensor s = (is_signed ? xm - (-xm) : xm) / static_cast<float>(kBBDivisors[0]);
  for (int i = 1; i < 5 && kBBBits[i] <= bits; ++i) s = s / static_cast<float>(kBBDivisors[i]);
  return s;
}

float GridStep(float x_max, int bits, bool is_signed) {
  float s = (is_signed ? x_max - (-x_max) : x_max) / static_cast<float>(kBBDivisors[0]);
  for (int i = 1; i < 5 && kBBBits[i] <= bits; ++i) s = s / static_cast<float>(kBBDivisors[i]);
  return s;
}

torch::Tensor ChannelView(const torch::Tensor& x_max, const torch::Tensor& x) {
  if (x_max.numel() == 1) return x_max.reshape({});
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x_max.numel();
  return x_max.reshape(shape);
}

torch::Tensor FakeQuantize(const torch::Tensor& x, const torch::Tensor& x_max, int bits,
                           bool is_signed) {
  torch::Tensor xm = ChannelView(x_max.to(torch::kFloat), x);
  torch::Tensor hi = xm * kGridClipShrink;
  torch::Tensor lo = is_signed ? -hi : torch::zeros_like(hi);
  torch::Tensor c = torch::max(torch::min(x, hi), lo);
  if (bits >= 32) return c;
  torch::Tensor s = GridStep(xm, bits, is_signed);
  return RoundToGrid(c, s, bits, is_signed);
}

torch::Tensor RoundToGrid(const torch::Tensor& c, const torch::Tensor& step, int bits,
                          bool is_signed) {
  return torch::round(c / step).clamp(GridQmin(bits, is_signed), GridQmax(bits, is_signed)) * step;
}

}  // namespace bitsearch
