// Bias correction (data-free quantization, arXiv 1906.04721, section 4.2): quantizing a layer's
// weights shifts the mean of its output, E[W_q x] - E[W x] = (W_q - W) E[x]; subtracting that
// shift from the bias removes the biased part of the error.
//  - Empirical: in topological order, b <- b - mean over samples and positions of
//    (y_quantized - y_float), the quantized network already corrected up to this layer (weights
//    and activations quantized as they will be used).
//  - Analytic (no data): b <- b - (W_q - W) E[x], with E[x] per input channel from the statistics
//    of the layer that produces the input (its folded BatchNorm's beta and gamma, layer_stats.h)
//    through the ReLU or clip between them (the mean of a clipped normal). Layers whose input is
//    the network input, comes through a max pool or from a layer without statistics are skipped.
// Zero padding is ignored (the paper does the same).
// Thread-safety: functions drive networks from the calling thread.
#ifndef BITSEARCH_SEARCH_PTQ_BIAS_CORRECTION_H_
#define BITSEARCH_SEARCH_PTQ_BIAS_CORRECTION_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "search/network.h"
#include "search/ptq/layer_stats.h"

namespace bitsearch {

struct BiasCorrectionReport {
  std::vector<std::string> corrected;  // layer names, in order
  std::vector<std::string> skipped;    // "name: why"
  std::vector<double> mean_abs_shift;  // per corrected layer: mean |shift| of its bias
};

// Per-channel means (over samples and positions) of every layer's output, [layer node] -> [C].
std::map<int, torch::Tensor> LayerOutputMeans(NetworkImpl& net, const torch::Tensor& data,
                                              int64_t batch_size, int last_layer = -1);

// `quant`: quantizers fixed, biases corrected in place. `reference`: the float network of the same
// graph and weights (quantizers in bypass), left as it is.
void CorrectBiasEmpirically(NetworkImpl& quant, NetworkImpl& reference, const torch::Tensor& data,
                            int64_t batch_size, BiasCorrectionReport* report);

// E[clamp(z, lo, hi)] for z ~ N(mean, std^2), per channel (hi may be +infinity).
torch::Tensor ClippedNormalMean(const torch::Tensor& mean, const torch::Tensor& std, double lo, double hi);

// `quant`: quantizers fixed (its weight quantizers give W_q), biases corrected in place.
void CorrectBiasAnalytically(NetworkImpl& quant, const LayerStats& stats, BiasCorrectionReport* report);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_BIAS_CORRECTION_H_
