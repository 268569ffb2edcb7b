// The training loop every step-based phase shares (pretrain, search, fine-tune, baselines):
// seeded per-epoch data order, schedules, progress through the observer, cancellation between
// steps, and periodic checkpoints from which a resumed run continues bit-identically.
// Thread-safety: one job per runner; LibTorch parallelises inside each step.
#ifndef BITSEARCH_SEARCH_TRAINER_H_
#define BITSEARCH_SEARCH_TRAINER_H_

#include <torch/torch.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "search/data/dataset.h"
#include "search/network.h"
#include "search/observer.h"

namespace bitsearch {

// Where a phase stands: resume restarts at this epoch and step.
struct PhaseCursor {
  int epoch = 0;              // 0-based
  int64_t step_in_epoch = 0;  // optimizer steps already taken in `epoch`
};

// One batch's forward pass and the objective minimised on it.
struct StepLoss {
  torch::Tensor logits;
  torch::Tensor objective;
};

struct PhasePlan {
  std::string name;
  int epochs = 1;
  int batch_size = 128;
  uint64_t seed = 1;
  // Sets the learning rates for global step `step` of `total`.
  std::function<void(int64_t step, int64_t total)> schedule;
  // Extra loss term (the prior); empty for plain cross-entropy.
  std::function<torch::Tensor()> regularizer;
  // Replaces the default step loss (forward, cross-entropy, plus `regularizer`) for global step
  // `step`: gradient-L1 pretraining differentiates the gradients themselves. Empty = default.
  std::function<StepLoss(const torch::Tensor& x, const torch::Tensor& y, int64_t step)> loss;
  // After each optimizer step (the permanent-off rule).
  std::function<void()> after_step;
  // Adds phase-specific figures to a progress sample (expected bits, relative BOPs).
  std::function<void(Progress&)> decorate;
};

struct EvalResult {
  double accuracy = 0;  // top-1 in percent
  double loss = 0;      // mean cross-entropy
};

// Steps per epoch for `n` samples (the last batch may be short).
int64_t StepsPerEpoch(int64_t n, int batch_size);

// The sample order of one epoch of one phase: a function of (seed, phase, epoch) alone, so a
// resumed run sees the same batches.
torch::Tensor EpochPermutation(int64_t n, uint64_t seed, const std::string& phase, int epoch);

// Runs `plan` from `cursor` to its end, on `data` augmented as data.augment says (the draws
// depend on seed, phase and step alone, so a resumed phase sees the same batches). `save` writes a checkpoint at the given cursor; it runs
// every `checkpoint_every` steps (0 = never mid-phase) and before returning CANCELLED.
absl::Status RunPhase(NetworkImpl& net, torch::optim::Optimizer& optimizer, const Split& data,
                      const PhasePlan& plan, PhaseCursor cursor, JobObserver* observer,
                      int64_t checkpoint_every,
                      const std::function<absl::Status(const PhaseCursor&)>& save);

// Top-1 and loss on a split, in eval mode and without gradients.
EvalResult Evaluate(NetworkImpl& net, const Split& split, int batch_size = 1000);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_TRAINER_H_
