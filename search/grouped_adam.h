// Adam over parameter groups with their own learning rates (weights, quantizer parameters,
// ranges), and the learning-rate schedules the phases share.
// Thread-safety: one optimizer per phase, driven from the job's thread.
#ifndef BITSEARCH_SEARCH_GROUPED_ADAM_H_
#define BITSEARCH_SEARCH_GROUPED_ADAM_H_

#include <torch/torch.h>

#include <memory>
#include <utility>
#include <vector>

namespace bitsearch {

class GroupedAdam {
 public:
  // One group per (parameters, base learning rate), in this order.
  explicit GroupedAdam(const std::vector<std::pair<std::vector<torch::Tensor>, double>>& groups);

  torch::optim::Adam& adam() { return *adam_; }
  // Sets group `group`'s learning rate to its base rate times `factor`.
  void Scale(size_t group, double factor);

 private:
  std::unique_ptr<torch::optim::Adam> adam_;
  std::vector<double> base_lr_;
};

// Cosine decay from 1 at step 0 to 0 at the last step.
double CosineFactor(int64_t step, int64_t total);
// Constant for the first 2/3 of the steps, then linear decay to 0 (the search's weights).
double KneeLinearFactor(int64_t step, int64_t total);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_GROUPED_ADAM_H_
