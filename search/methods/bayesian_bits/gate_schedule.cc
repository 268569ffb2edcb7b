#include "search/methods/bayesian_bits/gate_schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "search/hard_concrete.h"

namespace bitsearch {
namespace {

// Below this distance (a gate_init at or under the threshold) a gate starts closed; it still
// needs a rate to open, so the travel is taken as one log_alpha unit.
constexpr double kMinTravel = 1.0;

}  // namespace

double GateThresholdLogAlpha() {
  // P(z = 0) = sigmoid(beta log(-gamma / zeta) - log_alpha) = t  <=>
  // log_alpha = beta log(-gamma / zeta) - logit(t).
  return kHcBeta * std::log(-kHcGamma / kHcZeta) - std::log(kHcThreshold / (1 - kHcThreshold));
}

double GateLearningRate(const SearchSpec& spec, int64_t total_steps) {
  if (spec.gate_lr) return *spec.gate_lr;
  const double travel = std::max(kMinTravel, spec.gate_init - GateThresholdLogAlpha());
  const double steps = spec.gate_travel * static_cast<double>(std::max<int64_t>(total_steps, 1));
  return travel / std::max(steps, 1.0);
}

std::string DescribeGateLearningRate(const SearchSpec& spec, int64_t total_steps) {
  const double rate = GateLearningRate(spec, total_steps);
  if (spec.gate_lr) return absl::StrFormat("gate learning rate %.4g (search.gate_lr)", rate);
  return absl::StrFormat(
      "gate learning rate %.4g: a gate can go from log_alpha %.3g to the threshold %.3f in "
      "%.0f%% of the %d search steps (search.gate_travel; search.gate_lr fixes the rate)",
      rate, spec.gate_init, GateThresholdLogAlpha(), 100 * spec.gate_travel, total_steps);
}

}  // namespace bitsearch
