#include "search/baselines/ptq_baseline.h"

#include <algorithm>

#include "search/job_checkpoint.h"
#include "search/ptq/post_training.h"

namespace bitsearch {

absl::StatusOr<BaselineOutcome> PtqBaseline::Run(BaselineContext& ctx) {
  BitConfig config = UniformBits(ctx.graph->LayerNames(), weight_bits_, act_bits_);
  Network fp = ctx.new_network();
  LoadModule(*fp, ctx.fp_state);
  const int64_t n = std::min<int64_t>(calibration_samples_, ctx.train->size());
  PtqProgress progress = ObserveAdaRound(ctx.observer, ctx.phase, *ctx.graph, options_);
  auto out = QuantizePostTraining(*fp, ctx.train->x.slice(0, 0, n), config, options_, progress);
  if (!out.ok()) return out.status();
  config.layers[0].act_bits = 8;  // the network input is always 8-bit
  return BaselineOutcome{std::move(config), out->network, PtqReportToJson(out->report)};
}

}  // namespace bitsearch
