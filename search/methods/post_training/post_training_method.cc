#include "search/methods/post_training/post_training_method.h"

#include "search/job_checkpoint.h"
#include "search/ptq/post_training.h"
#include "search/ptq/ptq_quantizer.h"

namespace bitsearch {

QuantizerFactory PostTrainingOnly::quantizers() const { return PtqQuantizers(); }

absl::StatusOr<SearchOutcome> PostTrainingOnly::Search(SearchContext& ctx) {
  const PtqJobSpec& p = ctx.spec->ptq;
  Network fp = ctx.new_network();
  LoadModule(*fp, ctx.start_state);
  const BitConfig bits = UniformBits(ctx.graph->LayerNames(), p.weight_bits, p.act_bits);
  const PtqOptions options = PtqOptionsFromSpec(p.steps);
  auto out = QuantizeInPhase(*fp, ctx.calibration(p.steps.calibration_samples), bits, options,
                             ctx.observer, ctx.phase);
  if (!out.ok()) return out.status();
  BitConfig decided = out->network->Decide();  // the network input reads back as 8-bit
  return SearchOutcome{std::move(decided), out->network, PtqReportToJson(out->report)};
}

std::unique_ptr<SearchMethod> MakePostTrainingOnly() { return std::make_unique<PostTrainingOnly>(); }

}  // namespace bitsearch
