// Phase 2: range initialisation. The folded float network with the
// search method's quantizers, each weight quantizer's range from its weights and each activation
// quantizer's from one training batch pushed through.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "search/pipeline/phase.h"

namespace bitsearch {

absl::StatusOr<std::string> RunRangeInit(JobContext& job) {
  if (job.observer) job.observer->OnPhaseStart(kPhaseRangeInit, 0);
  Network net = job.NewNetwork();
  // The float weights: the other quantizer kinds find no state of theirs in them and start
  // from their defaults, which the calibration below then sets.
  LoadMatchingState(*net, job.fp_state);
  const int64_t batch = job.spec.search.batch_size;
  net->InitRanges(job.data.train.x.slice(0, 0, batch));
  job.handoff_state = SerializeModule(*net);
  return absl::StrCat("ranges from ", std::min(batch, job.data.train.size()), " training samples");
}

}  // namespace bitsearch
