#include "search/data/augment.h"

namespace bitsearch {

torch::Tensor AugmentBatch(const torch::Tensor& x, const AugmentSpec& spec, uint64_t seed) {
  if (!spec.enabled()) return x;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  torch::Tensor out = x;
  if (spec.crop_padding > 0) {
    const int64_t p = spec.crop_padding;
    torch::Tensor padded = torch::constant_pad_nd(x, {p, p, p, p}, 0);
    torch::Tensor dy = torch::randint(0, 2 * p + 1, {n}, gen, torch::kLong);
    torch::Tensor dx = torch::randint(0, 2 * p + 1, {n}, gen, torch::kLong);
    out = torch::empty_like(x);
    auto ay = dy.accessor<int64_t, 1>(), ax = dx.accessor<int64_t, 1>();
    for (int64_t i = 0; i < n; ++i) out[i].copy_(padded[i].slice(1, ay[i], ay[i] + h).slice(2, ax[i], ax[i] + w));
  }
  if (spec.horizontal_flip) {
    torch::Tensor flip = torch::rand({n}, gen).lt(0.5).reshape({n, 1, 1, 1});
    out = torch::where(flip, out.flip({3}), out);
  }
  return out.contiguous();
}

}  // namespace bitsearch
