#include "search/tensor_quantizer.h"

#include "search/job_checkpoint.h"

namespace bitsearch {

BitDistribution TensorQuantizerImpl::Distribution() {
  const int bits = DecidedBits();
  torch::Tensor step_up = torch::zeros({4});
  for (int k = 0; k < 4; ++k) {
    if (bits >= (4 << k)) step_up[k] = 1.0f;
  }
  return {step_up.to(ModuleDevice(*this)), torch::Tensor()};
}

void RefreshQuantizerHostState(torch::nn::Module& root) {
  for (const auto& m : root.modules(/*include_self=*/true)) {
    if (auto* q = dynamic_cast<TensorQuantizerImpl*>(m.get())) q->RefreshHostState();
  }
}

}  // namespace bitsearch
