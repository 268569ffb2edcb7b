// Phase 1: the float model. Plain training from scratch (Adam with a
// cosine decay), the ONNX model's own weights when the spec names one (no training), or a cached
// earlier result; then BatchNorm folded into the convs: the float reference every later phase
// starts from.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "search/grad_l1.h"
#include "search/grouped_adam.h"
#include "search/pipeline/phase.h"
#include "search/pipeline/pretrain_cache.h"
#include "search/pretrain_key.h"
#include "search/trainer.h"

namespace bitsearch {

namespace {

// An imported model near chance on the test data has almost always been fed other inputs than it
// was trained on; say so loudly rather than let the search train the problem away.
void WarnIfNearChance(JobContext& job, double accuracy) {
  const double chance = 100.0 / std::max<int64_t>(1, job.data.classes);
  if (accuracy >= chance + 0.1 * (100.0 - chance)) return;
  const std::string warning = absl::StrFormat(
      "the imported model scores %.2f%% top-1 on the test data before any change, near chance "
      "(%.1f%% for %d classes). The usual cause is a dataset.preprocess other than the model was "
      "trained with (this job applies %s); check it before trusting this job's figures.",
      accuracy, chance, job.data.classes, job.data.preprocessing.ToJson().dump());
  job.state.warnings.push_back(warning);
  job.Log("WARNING: " + warning);
}

}  // namespace

absl::StatusOr<std::string> RunPretrain(JobContext& job) {
  // Imported weights are the model itself; only trained models are worth caching.
  const std::string cache =
      TrainsFloatModel(job.spec) ? PretrainCachePath(job.options.cache_dir, job.state.spec) : "";
  // A sweep point or a compared method: the float model of a shared pretraining
  // (RunOptions::pretrained_model; for an imported model, its gradient-L1 fine-tune is shared).
  if (!job.Resuming(kPhasePretrain) && !job.options.pretrained_model.empty()) {
    if (auto shared = ParseCachedPretrain(job.options.pretrained_model)) {
      job.fp_state = shared->fp_state;
      job.state.accuracy_fp32 = shared->accuracy_fp32;
      job.handoff_state = job.fp_state;
      job.Log("pretrained model taken from the shared pretraining (not trained again)");
      return absl::StrFormat("fp32 top-1 %.2f%% (shared)", shared->accuracy_fp32);
    }
    job.Log("the shared pretrained model is unreadable; training again");
  }
  if (!cache.empty() && !job.Resuming(kPhasePretrain)) {
    if (auto cached = LoadCachedPretrain(cache)) {
      job.fp_state = cached->fp_state;
      job.state.accuracy_fp32 = cached->accuracy_fp32;
      job.state.pretrain_cache = cache;
      job.handoff_state = job.fp_state;
      job.Log(absl::StrCat("pretrained model reused from ", cache));
      return absl::StrFormat("fp32 top-1 %.2f%% (cached)", cached->accuracy_fp32);
    }
  }
  NetworkOptions options = job.DefaultNetworkOptions();
  Network net(job.graph, options);  // BatchNorms still separate: they train
  net->SetQuantMode(QuantMode::kBypass);
  if (job.imported) {
    BS_RETURN_IF_ERROR(LoadImportedWeights(*job.imported, *net));
    // The model as the user gave it, before anything else touches it.
    job.state.accuracy_fp32 = Evaluate(*net, job.data.test).accuracy;
    WarnIfNearChance(job, *job.state.accuracy_fp32);
  }
  GroupedAdam opt({{net->WeightParameters(), job.spec.pretrain.lr}});
  PhaseCursor cursor;
  if (job.ResumingMidPhase(kPhasePretrain)) {
    LoadModule(*net, job.resume->model_state);
    LoadOptimizer(opt.adam(), job.ResumeOptimizerState());
    cursor = job.ResumeCursor();
  }
  PhasePlan plan;
  plan.name = kPhasePretrain;
  // An imported model trains only to become quantization-ready (gradient-L1).
  const auto& grad_l1 = job.spec.pretrain.grad_l1;
  plan.epochs = job.imported && !grad_l1 ? 0 : job.spec.pretrain.epochs;
  plan.batch_size = job.spec.pretrain.batch_size;
  plan.seed = job.spec.search.seed;
  // Cosine decay: a few epochs at constant Adam 1e-3 stop short of what the model can reach
  // (Fashion-MNIST LeNet-5: 88.94% after 3 epochs); annealing buys the last point cheaply.
  plan.schedule = [&](int64_t step, int64_t total) { opt.Scale(0, CosineFactor(step, total)); };
  if (grad_l1) {
    const int64_t first_step =
        grad_l1->start_epoch * StepsPerEpoch(job.data.train.size(), plan.batch_size);
    const GradL1Strength strength{grad_l1->lambda_w, grad_l1->lambda_a};
    plan.loss = [&, first_step, strength](const torch::Tensor& x, const torch::Tensor& y,
                                          int64_t step) {
      if (step < first_step) {
        torch::Tensor logits = net->forward(x);
        return StepLoss{logits, torch::cross_entropy_loss(logits, y)};
      }
      GradL1Loss l = ComputeGradL1Loss(*net, x, y, strength);
      return StepLoss{l.logits, l.total};
    };
    job.Log(absl::StrFormat(
        "pretrain: gradient-L1 training from epoch %d of %d (lambda_w %g, lambda_a %g)%s",
        grad_l1->start_epoch + 1, plan.epochs, strength.lambda_w, strength.lambda_a,
        job.imported ? ", starting from the imported weights" : ""));
  }
  absl::Status st = RunPhase(*net, opt.adam(), job.data.train, plan, cursor, job.observer,
                             job.spec.checkpoint_every, [&](const PhaseCursor& c) {
                               return job.SaveInPhase(kPhasePretrain, c, net.get(), &opt.adam());
                             });
  if (!st.ok()) return st;
  Network folded = FoldBatchNorm(*net);
  job.fp_state = SerializeModule(*folded);
  // An imported model's own accuracy stays the float reference; the quantization-ready one it
  // became is this phase's summary.
  const double trained = job.imported && plan.epochs == 0
                             ? *job.state.accuracy_fp32
                             : Evaluate(*folded, job.data.test).accuracy;
  if (!job.imported) job.state.accuracy_fp32 = trained;
  const double accuracy = *job.state.accuracy_fp32;
  if (!cache.empty()) {
    absl::Status written = StoreCachedPretrain(cache, {job.fp_state, accuracy});
    if (!written.ok()) job.Log(absl::StrCat("pretrained model not cached: ", written.message()));
  }
  job.handoff_state = job.fp_state;
  if (job.imported && plan.epochs > 0) {
    return absl::StrFormat("fp32 top-1 %.2f%% imported, %.2f%% after %d gradient-L1 epochs",
                           accuracy, trained, plan.epochs);
  }
  return absl::StrFormat("fp32 top-1 %.2f%%%s", accuracy,
                         job.state.warnings.empty() ? "" : " (NEAR CHANCE: see the warning)");
}

}  // namespace bitsearch
