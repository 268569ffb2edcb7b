#include "search/baselines/ptq_baseline.h"

#include "search/job_checkpoint.h"
#include "search/ptq/post_training.h"

namespace bitsearch {

absl::StatusOr<BaselineOutcome> PtqBaseline::Run(BaselineContext& ctx) {
  BitConfig config = UniformBits(ctx.graph->LayerNames(), weight_bits_, act_bits_);
  Network fp = ctx.new_network();
  LoadModule(*fp, ctx.fp_state);
  auto out = QuantizeInPhase(*fp, ctx.calibration(calibration_samples_), config, options_,
                             ctx.observer, ctx.phase);
  if (!out.ok()) return out.status();
  config.layers[0].act_bits = 8;  // the network input is always 8-bit
  return BaselineOutcome{std::move(config), out->network, PtqReportToJson(out->report)};
}

}  // namespace bitsearch
