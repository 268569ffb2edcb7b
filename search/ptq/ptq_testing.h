// Helpers shared by the post-training quantization tests. Test-only.
#ifndef BITSEARCH_SEARCH_PTQ_PTQ_TESTING_H_
#define BITSEARCH_SEARCH_PTQ_PTQ_TESTING_H_

#include <torch/torch.h>

namespace bitsearch::ptq_testing {

// ||a - b|| / ||b||: how far a network's output `a` is from the reference `b`.
inline double RelativeError(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm()).item<double>();
}

}  // namespace bitsearch::ptq_testing

#endif  // BITSEARCH_SEARCH_PTQ_PTQ_TESTING_H_
