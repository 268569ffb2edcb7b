// Hard-concrete gates (Louizos et al., L0 regularisation) as Bayesian Bits uses them
// (Louizos et al., arXiv:1712.01312: beta 2/3, gamma -0.1, zeta 1.1; a gate is on at test time when
// P(z = 0) < 0.34). Thread-safety: pure functions; sampling uses the given generator.
#ifndef BITSEARCH_SEARCH_HARD_CONCRETE_H_
#define BITSEARCH_SEARCH_HARD_CONCRETE_H_

#include <torch/torch.h>

namespace bitsearch {

inline constexpr double kHcBeta = 2.0 / 3.0;
inline constexpr double kHcGamma = -0.1;
inline constexpr double kHcZeta = 1.1;
// A gate is on at test time when P(z = 0) is below this.
inline constexpr double kHcThreshold = 0.34;
// A gate whose log_alpha falls to this is switched off for good, with every gate above it.
inline constexpr double kHcPermanentOff = -2.0;

// One training sample per element of log_alpha: z in [0, 1], differentiable in log_alpha.
torch::Tensor SampleHardConcrete(const torch::Tensor& log_alpha, at::Generator generator);

// P(z = 0) = sigmoid(beta * log(-gamma / zeta) - log_alpha).
torch::Tensor ProbZero(const torch::Tensor& log_alpha);

// Test-time gate: 1 where P(z = 0) < 0.34, else 0 (no gradient).
torch::Tensor DeterministicGate(const torch::Tensor& log_alpha);

// Probability the gate is active, q = sigmoid(log_alpha - beta * log(-gamma / zeta)).
torch::Tensor ProbActive(const torch::Tensor& log_alpha);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_HARD_CONCRETE_H_
