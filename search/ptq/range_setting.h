// Range setting for post-training quantization (the quantization white paper, arXiv 2106.08295,
// section 4.3): the clipping bound x_max of a tensor's fixed-bit grid (search/ptq/grid.h), chosen
// from the data that tensor sees.
//  - min-max: x_max = max |x| (signed tensors) or max x (unsigned); nothing is clipped.
//  - MSE: the x_max, among candidate clipping values, that minimises the expected squared
//    quantization error, clipped values included. Per tensor the candidates are the upper edges
//    of a 2,048-bin histogram of |x| over [0, max |x|]; per output channel (weights) the error is
//    computed exactly on the channel's values for 256 fractions of its max |w|.
//  - percentile: x_max = the given percentile of |x| (99.9 or 99.99 for activations).
// A tensor is signed when its minimum is negative (weights; activations not after a ReLU).
//
// Thread-safety: a RangeStatistics is a plain accumulator used from one thread.
#ifndef BITSEARCH_SEARCH_PTQ_RANGE_SETTING_H_
#define BITSEARCH_SEARCH_PTQ_RANGE_SETTING_H_

#include <torch/torch.h>

#include <cstdint>

namespace bitsearch {

enum class RangeMethod { kMinMax, kMse, kPercentile };

const char* RangeMethodName(RangeMethod method);

// Statistics of one tensor gathered over calibration batches in two passes: extremes first, then
// the histogram (its bins span [0, the extreme of pass 1]).
class RangeStatistics {
 public:
  static constexpr int64_t kBins = 2048;

  // Pass 1: minimum and maximum.
  void ObserveExtremes(const torch::Tensor& x);
  // Pass 2: the histogram of |x| (zeros counted apart: they cost nothing on any grid).
  void ObserveHistogram(const torch::Tensor& x);

  bool is_signed() const { return min_ < 0; }
  // max |x| for signed data, max(x, 0) otherwise.
  float extreme() const;
  bool has_histogram() const { return hist_.defined(); }

  // The clipping bound for a `bits`-bit grid (bits in 2..16; 32 and min-max give the extreme).
  // kMse and kPercentile need the histogram. Never below 1e-6 (an all-zero tensor).
  float Choose(RangeMethod method, int bits, double percentile = 99.99) const;

  // Expected squared error per value of quantizing the histogrammed data with `x_max` at `bits`
  // (what kMse minimises; exposed for tests).
  double ExpectedError(float x_max, int bits) const;

 private:
  float min_ = 0.0f, max_ = 0.0f;
  bool seen_ = false;
  float hist_top_ = 0.0f;    // the histogram spans [0, hist_top_]
  torch::Tensor hist_;       // [kBins] double counts of |x| (zeros excluded)
  double zeros_ = 0.0;
};

// x_max of a weight tensor, per tensor (kMinMax or kMse; kPercentile is refused by the spec).
float ChooseWeightRange(const torch::Tensor& weight, RangeMethod method, int bits);
// x_max per output channel (dimension 0) of a weight tensor: [C].
torch::Tensor ChooseWeightRangePerChannel(const torch::Tensor& weight, RangeMethod method, int bits);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_RANGE_SETTING_H_
