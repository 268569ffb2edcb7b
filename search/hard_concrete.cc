#include "search/hard_concrete.h"

#include <cmath>

namespace bitsearch {
namespace {
const double kLogRatio = std::log(-kHcGamma / kHcZeta);  // log(-gamma / zeta) < 0
}  // namespace

torch::Tensor SampleHardConcrete(const torch::Tensor& log_alpha, at::Generator generator) {
  // u stays away from 0 and 1 so log(u) - log(1 - u) is finite. The job's noise source is a
  // CPU generator (it travels in checkpoints): draw there, then move, so every device sees the
  // same gates for a seed. A few numbers per quantizer: the copy is negligible.
  auto u = torch::rand(log_alpha.sizes(), generator,
                       torch::TensorOptions().dtype(log_alpha.scalar_type()))
               .clamp(1e-6, 1.0 - 1e-6)
               .to(log_alpha.device());
  auto s = torch::sigmoid((torch::log(u) - torch::log1p(-u) + log_alpha) / kHcBeta);
  return torch::clamp(s * (kHcZeta - kHcGamma) + kHcGamma, 0.0, 1.0);
}

torch::Tensor ProbZero(const torch::Tensor& log_alpha) {
  return torch::sigmoid(kHcBeta * kLogRatio - log_alpha);
}

torch::Tensor DeterministicGate(const torch::Tensor& log_alpha) {
  torch::NoGradGuard no_grad;
  return (ProbZero(log_alpha) < kHcThreshold).to(log_alpha.scalar_type());
}

torch::Tensor ProbActive(const torch::Tensor& log_alpha) {
  return torch::sigmoid(log_alpha - kHcBeta * kLogRatio);
}

}  // namespace bitsearch
