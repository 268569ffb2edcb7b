#include "search/methods/bayesian_bits/bayesian_bits.h"

#include "absl/strings/str_cat.h"
#include "search/cost.h"
#include "search/grouped_adam.h"
#include "search/job_checkpoint.h"
#include "search/methods/bayesian_bits/gate_schedule.h"
#include "search/prior.h"
#include "search/trainer.h"

namespace bitsearch {

absl::StatusOr<SearchOutcome> BayesianBitsSearch::Search(SearchContext& ctx) {
  const SearchSpec& s = ctx.spec->search;
  Network net = ctx.new_network();
  LoadModule(*net, ctx.start_state);
  net->SetQuantMode(QuantMode::kSearch);
  const int64_t total_steps = StepsPerEpoch(ctx.train->size(), s.batch_size) * s.epochs;
  if (ctx.observer && !ctx.resume) {
    ctx.observer->OnLog(absl::StrCat(ctx.phase, ": ", DescribeGateLearningRate(s, total_steps)));
  }
  GroupedAdam opt({{net->WeightParameters(), s.lr},
                   {net->QuantizerParameters(), GateLearningRate(s, total_steps)},
                   {net->RangeParameters(), s.range_lr}});
  PhaseCursor cursor;
  if (ctx.resume) {
    LoadOptimizer(opt.adam(), ctx.resume->optimizer_state);
    cursor = ctx.resume->cursor;
  }
  auto prior = MakePrior(s.regularizer, *net, {ctx.latency, s.max_bits});
  if (!prior.ok()) return prior.status();
  PhasePlan plan;
  plan.name = ctx.phase;
  plan.epochs = s.epochs;
  plan.batch_size = s.batch_size;
  plan.seed = s.seed;
  // Weights: constant for 2/3 of the steps, then linear decay to 0; gates and
  // ranges keep their rates.
  plan.schedule = [&](int64_t step, int64_t total) { opt.Scale(0, KneeLinearFactor(step, total)); };
  plan.regularizer = [&, mu = s.mu]() { return mu * (*prior)->Compute(*net); };
  plan.after_step = [&]() { net->AfterOptimizerStep(); };
  plan.decorate = [&](Progress& p) {
    auto [wb, ab] = ExpectedBits(*net);
    p.expected_weight_bits = wb;
    p.expected_act_bits = ab;
    p.relative_bops_percent = ComputeCosts(*ctx.graph, net->Decide()).relative_bops_percent;
  };
  absl::Status st = RunPhase(*net, opt.adam(), *ctx.train, plan, cursor, ctx.observer,
                             ctx.spec->checkpoint_every, [&](const PhaseCursor& c) {
                               return ctx.save(c, net.get(), &opt.adam());
                             });
  if (!st.ok()) return st;
  BitConfig searched = net->Decide();
  net->SetFixed(searched);
  return SearchOutcome{std::move(searched), net, nullptr};
}

std::unique_ptr<SearchMethod> MakeBayesianBitsSearch() {
  return std::make_unique<BayesianBitsSearch>();
}

}  // namespace bitsearch
