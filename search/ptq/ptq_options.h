// Options of post-training quantization (the white paper's PTQ pipeline: fold BN -> cross-layer
// equalization + high-bias absorption -> range setting -> bias correction or AdaRound). Typed
// values with their defaults; a spec's PtqSpec (search/baseline_spec.h) translates into them.
// Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_PTQ_PTQ_OPTIONS_H_
#define BITSEARCH_SEARCH_PTQ_PTQ_OPTIONS_H_

#include <cstdint>

#include "search/baseline_spec.h"
#include "search/ptq/range_setting.h"

namespace bitsearch {

struct CleOptions {
  bool enabled = false;
  bool high_bias_absorption = true;  // after equalization, where the layer pair has a ReLU
  double tolerance = 1e-6;           // stop once no scale factor moves more than this (relative)
  int max_iterations = 100;          // sweeps over all chains at most (1 = the reference's once)
  // ReLU6 does not commute with scaling: false leaves such pairs out, true replaces the ReLU6 of
  // equalized pairs by ReLU (the float function changes; the report says where).
  bool replace_relu6 = false;
};

enum class BiasCorrectionMode { kNone, kEmpirical, kAnalytic };

struct AdaRoundOptions {
  bool enabled = false;
  int iterations = 10000;           // per layer (the paper's and AIMET's default)
  int batch_size = 32;              // samples per iteration, drawn from the cached layer inputs
  double lr = 1e-3;                 // Adam on the rounding variables V
  double reg = 0.01;                // lambda of the rounding regulariser
  double warm_start = 0.2;          // share of the iterations without the rounding term
  double beta_start = 20.0;         // annealed (cosine) to beta_end over the remaining iterations
  double beta_end = 2.0;
  int64_t cache_bytes = int64_t{256} << 20;  // cached layer inputs per layer at most
  uint64_t seed = 1;                // batch draws
};

struct PtqOptions {
  RangeMethod weight_range = RangeMethod::kMse;  // kMinMax | kMse
  RangeMethod act_range = RangeMethod::kMse;     // kMinMax | kMse | kPercentile
  double percentile = 99.99;                     // activations, with kPercentile
  bool per_channel = false;                      // weight ranges per output channel
  CleOptions cle;
  BiasCorrectionMode bias_correction = BiasCorrectionMode::kNone;
  AdaRoundOptions adaround;                      // not together with bias correction
  int batch_size = 128;                          // calibration forward passes
};

// The options a spec's PtqSpec asks for (the spec validated the names; the rest stays default).
PtqOptions PtqOptionsFromSpec(const PtqSpec& spec);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_PTQ_OPTIONS_H_
