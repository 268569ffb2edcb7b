#include "search/data/synthetic.h"

#include <torch/torch.h>

namespace bitsearch {

RawData MakeSynthetic(const std::vector<int64_t>& shape, int64_t n_train, int64_t n_test, uint64_t seed) {
  const int64_t classes = 10;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 7919 + 17);
  // Smooth templates: low-resolution noise upsampled, so conv nets find local structure; noise
  // and random gains keep it from being trivial.
  auto coarse = torch::randn({classes, shape[0], (shape[1] + 3) / 4, (shape[2] + 3) / 4}, gen);
  auto templates = torch::nn::functional::interpolate(
      coarse, torch::nn::functional::InterpolateFuncOptions()
                  .size(std::vector<int64_t>{shape[1], shape[2]})
                  .mode(torch::kBilinear)
                  .align_corners(false));
  auto make = [&](int64_t n, RawSplit* out) {
    out->y = torch::randint(0, classes, {n}, gen, torch::kLong);
    auto gain = torch::rand({n, 1, 1, 1}, gen) * 0.8 + 0.6;
    out->x = templates.index_select(0, out->y) * gain + torch::randn({n, shape[0], shape[1], shape[2]}, gen) * 1.2;
  };
  RawData raw;
  make(n_train, &raw.train);
  make(n_test, &raw.test);
  raw.name = "synthetic";
  raw.classes = classes;
  return raw;
}

}  // namespace bitsearch
