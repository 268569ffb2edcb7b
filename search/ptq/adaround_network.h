// AdaRound over a whole network (search/ptq/adaround.h does one layer): layer by layer in forward
// order, each layer's inputs cached within a memory budget from the network whose earlier layers
// are already rounded and from the float network, then its rounding learned and fixed. Used by
// post-training quantization (post_training.h) and by the rounding of a searched network at its
// searched bits (searched_rounding.h). Progress reaches a job's observer as layers x iterations
// steps, with a line per finished layer; a cancelled job stops it within a hundred iterations.
// Thread-safety: drives networks from the calling thread.
#ifndef BITSEARCH_SEARCH_PTQ_ADAROUND_NETWORK_H_
#define BITSEARCH_SEARCH_PTQ_ADAROUND_NETWORK_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "search/bit_config.h"
#include "search/network.h"
#include "search/observer.h"
#include "search/ptq/ptq_options.h"

namespace bitsearch {

// What AdaRound did to one layer.
struct LayerRoundingReport {
  std::string layer;
  int64_t samples = 0;          // cached inputs used (within the memory budget)
  double error_nearest = 0;     // reconstruction error with nearest rounding
  double error_adaround = 0;    // with the learned rounding
  double changed_fraction = 0;  // weights rounded otherwise than to nearest (0 when kept_nearest)
  // The learned rounding reconstructed the layer worse than nearest rounding (short runs can):
  // the layer keeps nearest rounding, so AdaRound never makes a layer worse.
  bool kept_nearest = false;
  double seconds = 0;
};

// Called by AdaRound per layer every hundred iterations: (layer name, iteration, loss); returns
// false to stop (the job is being cancelled), true to go on.
using PtqProgress = std::function<bool(const std::string&, int64_t, double)>;

// Rounds every quantized weight (0 < bits < 32) of `q` (post-training quantizers, ranges set,
// fixed at `bits`) against the float network `ref` (same graph, quantizers in bypass) on
// `data`; forward passes in batches of `batch_size`. Activation quantizers are off while it runs
// and fixed again at the end. Appends one report per rounded layer. Returns a Cancelled error,
// naming the layer and iteration, when `progress` asks to stop; `q` is then partly rounded.
absl::Status RoundNetworkAdaptively(NetworkImpl& q, NetworkImpl& ref, const torch::Tensor& data,
                            const BitConfig& bits, const AdaRoundOptions& options,
                            int batch_size, const PtqProgress& progress,
                            std::vector<LayerRoundingReport>* report);

// Starts `phase` for `observer` (may be null: returns an empty function) with `layers` x
// options.iterations steps when AdaRound is enabled (else 0 steps) and returns the progress that
// reports into it and stops AdaRound when the observer asks to cancel.
PtqProgress ObserveAdaRound(JobObserver* observer, const std::string& phase, const Graph& graph,
                            const AdaRoundOptions& options);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_ADAROUND_NETWORK_H_
