#include "search/tensor_quantizer.h"

namespace bitsearch {

BitDistribution TensorQuantizerImpl::Distribution() {
  const int bits = DecidedBits();
  torch::Tensor step_up = torch::zeros({4});
  for (int k = 0; k < 4; ++k) {
    if (bits >= (4 << k)) step_up[k] = 1.0f;
  }
  return {step_up, torch::Tensor()};
}

}  // namespace bitsearch
