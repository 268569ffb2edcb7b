#include "search/baselines/fixed_bits_qat.h"

#include "base/status_macros.h"
#include "search/job_checkpoint.h"

namespace bitsearch {

absl::StatusOr<BaselineOutcome> FixedBitsQat::Run(BaselineContext& ctx) {
  BitConfig config = UniformBits(ctx.graph->LayerNames(), weight_bits_, act_bits_);
  Network net = ctx.new_network();
  if (ctx.resume_state) {
    LoadModule(*net, *ctx.resume_state);
  } else {
    LoadModule(*net, ctx.fp_state);
    net->InitRanges(ctx.train->x.slice(0, 0, ctx.spec->search.batch_size));
  }
  net->SetFixed(config);
  BS_RETURN_IF_ERROR(ctx.finetune(*net));
  config.layers[0].act_bits = 8;  // the network input is always 8-bit
  return BaselineOutcome{std::move(config), net, nullptr};  // nothing beyond the training
}

}  // namespace bitsearch
