#include "search/pipeline/fixed_training.h"

#include "search/grouped_adam.h"
#include "search/trainer.h"

namespace bitsearch {

absl::Status FineTuneFixed(JobContext& job, const std::string& phase, NetworkImpl& net) {
  const JobSpec& spec = job.spec;
  GroupedAdam opt({{net.WeightParameters(), spec.finetune.lr},
                   {net.RangeParameters(), spec.search.range_lr / 10}});
  PhaseCursor cursor;
  if (job.ResumingMidPhase(phase)) {
    LoadOptimizer(opt.adam(), job.ResumeOptimizerState());
    cursor = job.ResumeCursor();
  }
  PhasePlan plan;
  plan.name = phase;
  plan.epochs = spec.finetune.epochs;
  plan.batch_size = spec.search.batch_size;
  plan.seed = spec.search.seed;
  plan.schedule = [&](int64_t step, int64_t total) {
    const double f = CosineFactor(step, total);
    opt.Scale(0, f);
    opt.Scale(1, f);
  };
  return RunPhase(net, opt.adam(), job.data.train, plan, cursor, job.observer,
                  spec.checkpoint_every, [&](const PhaseCursor& c) {
                    return job.SaveInPhase(phase, c, &net, &opt.adam());
                  });
}

}  // namespace bitsearch
