// AdaRound after a search: the searched network's weights rounded by learned rounding at the bits
// the search (and refinement) chose, instead of (or before) a quantization-aware fine-tune.
//
// The searched network's quantizers share the grid of post-training quantizers
// (search/ptq/grid.h), so copying its clipping bounds gives a network of post-training
// quantizers that computes exactly what the searched one does with nearest rounding; AdaRound
// then changes only the rounding of each weight. Pruned output channels stay pruned: their float
// weights are zeroed in both the network being rounded and the float reference, so no later
// layer is fitted to channels the deployed model does not have. The learned rounding is finally
// written into the weights (each weight on its grid point, no rounding state left), so the
// network fine-tunes, saves and exports like any network of post-training quantizers.
//
// Thread-safety: drives networks from the calling thread.
#ifndef BITSEARCH_SEARCH_PTQ_SEARCHED_ROUNDING_H_
#define BITSEARCH_SEARCH_PTQ_SEARCHED_ROUNDING_H_

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "search/bit_config.h"
#include "search/network.h"
#include "search/ptq/post_training.h"

namespace bitsearch {

// A network of post-training quantizers computing what `searched` (fixed at `config`) computes:
// the same weights and clipping bounds, fixed at `config` with its pruning masks, pruned
// channels' float weights zeroed, eval mode. Errors as RoundSearchedNetwork's.
absl::StatusOr<Network> PtqCopyOfSearched(NetworkImpl& searched, const BitConfig& config);

// Rounds `searched` (any quantizers with one range parameter each, fixed at `config`; not
// changed) at `config` (with its pruning masks) on `calibration` samples [N, C, H, W]. The
// outcome's network has post-training quantizers, is fixed at `config`, in eval mode; its report
// has the per-layer rounding.
// Errors: INVALID_ARGUMENT without calibration data, when `config` does not match the network,
// or when the searched quantizers carry no range to copy.
absl::StatusOr<PtqOutcome> RoundSearchedNetwork(NetworkImpl& searched,
                                                const torch::Tensor& calibration,
                                                const BitConfig& config,
                                                const AdaRoundOptions& options,
                                                const PtqProgress& progress = {});

// The learned rounding of every weight quantizer of `net` (post-training quantizers, fixed)
// written into its weights: afterwards nearest rounding gives the same integers and the
// quantizers carry no rounding.
void BakeRoundingIntoWeights(NetworkImpl& net);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_SEARCHED_ROUNDING_H_
