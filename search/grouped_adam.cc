#include "search/grouped_adam.h"

#include <algorithm>
#include <cmath>

namespace bitsearch {

GroupedAdam::GroupedAdam(const std::vector<std::pair<std::vector<torch::Tensor>, double>>& groups) {
  std::vector<torch::optim::OptimizerParamGroup> pg;
  for (const auto& [params, lr] : groups) {
    pg.emplace_back(params, std::make_unique<torch::optim::AdamOptions>(lr));
    base_lr_.push_back(lr);
  }
  adam_ = std::make_unique<torch::optim::Adam>(pg, torch::optim::AdamOptions(1e-3));
}

void GroupedAdam::Scale(size_t group, double factor) {
  static_cast<torch::optim::AdamOptions&>(adam_->param_groups()[group].options())
      .lr(base_lr_[group] * factor);
}

double CosineFactor(int64_t step, int64_t total) {
  return 0.5 * (1 + std::cos(M_PI * step / std::max<int64_t>(1, total)));
}

double KneeLinearFactor(int64_t step, int64_t total) {
  double knee = total * 2.0 / 3.0;
  return step < knee ? 1.0 : std::max(0.0, (total - step) / (total - knee));
}

}  // namespace bitsearch
