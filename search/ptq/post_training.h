// Post-training quantization of a whole network, in the white paper's order: (the caller folds
// BatchNorm) -> cross-layer equalization + high-bias absorption -> range setting of every weight
// and activation quantizer -> bias correction or AdaRound. The steps are the files beside this
// one; this file only runs them in order on a network of post-training quantizers
// (ptq_quantizer.h) and collects what each did.
//
// Calibration data are unlabelled samples (the pipeline takes 1,024 from the training split).
// Activation ranges and the float targets of bias correction and AdaRound come from the float
// network after equalization; AdaRound's layer inputs come from the network whose earlier layers
// are already rounded, with activation quantizers off (as the paper and the reference do).
//
// Thread-safety: drives networks from the calling thread.
#ifndef BITSEARCH_SEARCH_PTQ_POST_TRAINING_H_
#define BITSEARCH_SEARCH_PTQ_POST_TRAINING_H_

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/bit_config.h"
#include "search/data/dataset.h"
#include "search/network.h"
#include "search/observer.h"
#include "search/ptq/adaround_network.h"
#include "search/ptq/bias_correction.h"
#include "search/ptq/cle.h"
#include "search/ptq/ptq_options.h"

namespace bitsearch {

struct PtqReport {
  CleReport cle;                             // empty unless equalization ran
  BiasCorrectionReport bias_correction;      // empty unless it ran
  std::vector<LayerRoundingReport> rounding;  // empty unless AdaRound ran
  double seconds = 0;
};

struct PtqOutcome {
  Network network;  // post-training quantizers fixed at the bits asked, eval mode
  PtqReport report;
};

// Quantizes the float network `float_net` (BN already folded; its quantizers are not read, only
// its weights, biases and graph) at `bits` (one entry per layer, as NetworkImpl::SetFixed takes;
// pruning masks are ignored) with `calibration` samples [N, C, H, W]. `float_net` is not changed.
// Errors: INVALID_ARGUMENT when the options contradict each other (AdaRound with bias correction,
// percentile weight ranges), when `bits` does not match the network, or without calibration data.
absl::StatusOr<PtqOutcome> QuantizePostTraining(NetworkImpl& float_net,
                                                const torch::Tensor& calibration,
                                                const BitConfig& bits, const PtqOptions& options,
                                                const PtqProgress& progress = {});

// The report as the result shows it: {"cle": {chains, iterations, ...} | null,
// "bias_correction": {corrected, mean_abs_shift, skipped} | null, "adaround": [{layer, samples,
// error_nearest, error_adaround, changed_fraction, seconds}, ...] | null, "seconds"}.
nlohmann::json PtqReportToJson(const PtqReport& report);

// QuantizePostTraining as a job phase does it: calibrated on `calibration` (the job's
// CalibrationSamples), `phase` started for `observer` (may be null) with AdaRound's layers x
// iterations as its steps, progress samples and a line per finished layer.
absl::StatusOr<PtqOutcome> QuantizeInPhase(NetworkImpl& float_net, const torch::Tensor& calibration,
                                           const BitConfig& bits, const PtqOptions& options,
                                           JobObserver* observer, const std::string& phase);

// A network of the same graph and weights as `net` with post-training quantizers, in bypass (a
// float network), eval mode. `prunable`: its weight quantizers take pruning masks (SetFixed).
Network PtqNetworkOf(NetworkImpl& net, bool prunable = false);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_POST_TRAINING_H_
