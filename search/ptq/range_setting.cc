#include "search/ptq/range_setting.h"

#include <algorithm>
#include <cmath>

#include "search/ptq/grid.h"

namespace bitsearch {
namespace {

constexpr float kMinRange = 1e-6f;
constexpr int64_t kCandidateChunk = 256;
constexpr int64_t kChannelCandidates = 256;

}  // namespace

const char* RangeMethodName(RangeMethod method) {
  switch (method) {
    case RangeMethod::kMinMax: return "minmax";
    case RangeMethod::kMse: return "mse";
    case RangeMethod::kPercentile: return "percentile";
  }
  return "?";
}

void RangeStatistics::ObserveExtremes(const torch::Tensor& x) {
  if (x.numel() == 0) return;
  torch::Tensor f = x.detach().to(torch::kFloat);
  float lo = f.min().item<float>(), hi = f.max().item<float>();
  min_ = seen_ ? std::min(min_, lo) : lo;
  max_ = seen_ ? std::max(max_, hi) : hi;
  seen_ = true;
}

float RangeStatistics::extreme() const {
  return is_signed() ? std::max(-min_, max_) : std::max(max_, 0.0f);
}

void RangeStatistics::ObserveHistogram(const torch::Tensor& x) {
  if (!hist_.defined()) {
    hist_top_ = std::max(extreme(), kMinRange);
    hist_ = torch::zeros({kBins}, torch::kDouble);
  }
  // The histogram is a host-side summary: a calibration batch comes to it from any device.
  torch::Tensor a = x.detach().to(torch::kCPU, torch::kFloat).flatten();
  a = is_signed() ? a.abs() : a.clamp_min(0);
  torch::Tensor nonzero = a.masked_select(a > 0);
  zeros_ += static_cast<double>(a.numel() - nonzero.numel());
  // Values above the top (data that pass 1 did not see) land in the last bin.
  nonzero = nonzero.clamp_max(hist_top_);
  hist_ += torch::histc(nonzero, kBins, 0, hist_top_).to(torch::kDouble);
}

double RangeStatistics::ExpectedError(float x_max, int bits) const {
  const float w = hist_top_ / kBins;
  torch::Tensor centers = (torch::arange(kBins, torch::kFloat) + 0.5f) * w;
  torch::Tensor hi = torch::full({}, x_max * kGridClipShrink);
  torch::Tensor q;
  torch::Tensor in_bin_var = torch::full({}, w * w / 12.0f);
  torch::Tensor err;
  if (bits >= 32) {
    q = torch::min(centers, hi);
    err = (q - centers).pow(2) + in_bin_var;
  } else {
    const float s = GridStep(x_max, bits, is_signed());
    q = torch::round(torch::min(centers, hi) / s) * s;
    err = (q - centers).pow(2) + in_bin_var;
    // A step finer than a bin: inside the range the error is uniform rounding noise.
    if (s < w) err = torch::where(centers <= hi, torch::full({}, s * s / 12.0f), err);
  }
  const double total = hist_.sum().item<double>() + zeros_;
  if (total <= 0) return 0.0;
  return (err.to(torch::kDouble) * hist_).sum().item<double>() / total;
}

float RangeStatistics::Choose(RangeMethod method, int bits, double percentile) const {
  const float top = std::max(extreme(), kMinRange);
  if (method == RangeMethod::kMinMax) return top;
  TORCH_CHECK(hist_.defined(), "range setting: the histogram pass has not run");
  const float w = hist_top_ / kBins;
  if (method == RangeMethod::kPercentile) {
    const double total = hist_.sum().item<double>() + zeros_;
    const double target = percentile / 100.0 * total;
    if (target <= zeros_) return kMinRange;
    torch::Tensor cum = hist_.cumsum(0) + zeros_;
    const double* c = cum.data_ptr<double>();
    const double* n = hist_.data_ptr<double>();
    for (int64_t j = 0; j < kBins; ++j) {
      if (c[j] >= target) {
        const double before = c[j] - n[j];
        const double frac = n[j] > 0 ? (target - before) / n[j] : 1.0;
        return std::max(static_cast<float>((j + frac) * w), kMinRange);
      }
    }
    return top;
  }
  if (bits >= 32) return top;
  // MSE: every histogram edge is a candidate; evaluated in chunks of candidates at once.
  torch::Tensor centers = ((torch::arange(kBins, torch::kFloat) + 0.5f) * w).unsqueeze(0);
  torch::Tensor counts = hist_.to(torch::kFloat).unsqueeze(0);
  const float in_bin_var = w * w / 12.0f;
  float best = top;
  double best_err = 0;
  bool have = false;
  for (int64_t k0 = 1; k0 <= kBins; k0 += kCandidateChunk) {
    const int64_t k1 = std::min<int64_t>(kBins, k0 + kCandidateChunk - 1);
    torch::Tensor xm = (torch::arange(k0, k1 + 1, torch::kFloat) * w).unsqueeze(1);
    torch::Tensor s = GridStep(xm, bits, is_signed());
    torch::Tensor hi = xm * kGridClipShrink;
    torch::Tensor q = torch::round(torch::min(centers, hi) / s) * s;
    torch::Tensor err = (q - centers).pow(2) + in_bin_var;
    err = torch::where((s < w) & (centers <= hi), s.pow(2) / 12.0f, err);
    torch::Tensor total = (err * counts).to(torch::kDouble).sum(1);
    auto [val, idx] = total.min(0);
    const double e = val.item<double>();
    if (!have || e < best_err) {
      have = true;
      best_err = e;
      best = xm[idx.item<int64_t>()][0].item<float>();
    }
  }
  return std::max(best, kMinRange);
}

float ChooseWeightRange(const torch::Tensor& weight, RangeMethod method, int bits) {
  RangeStatistics stats;
  stats.ObserveExtremes(weight);
  if (method != RangeMethod::kMinMax) stats.ObserveHistogram(weight);
  return stats.Choose(method, bits);
}

torch::Tensor ChooseWeightRangePerChannel(const torch::Tensor& weight, RangeMethod method, int bits) {
  torch::NoGradGuard no_grad;
  torch::Tensor w = weight.detach().to(torch::kFloat).flatten(1);
  const bool is_signed = w.min().item<float>() < 0;
  torch::Tensor top = (is_signed ? w.abs() : w.clamp_min(0)).amax(1).clamp_min(kMinRange);
  if (method == RangeMethod::kMinMax || bits >= 32) return top;
  TORCH_CHECK(method == RangeMethod::kMse, "per-channel weight ranges: min-max or MSE only");
  // Exact squared error per channel for each candidate fraction of the channel's extreme.
  torch::Tensor best_err = torch::full({w.size(0)}, INFINITY, torch::kDouble);
  torch::Tensor best = top.clone();
  for (int64_t k = 1; k <= kChannelCandidates; ++k) {
    torch::Tensor xm = top * (static_cast<float>(k) / kChannelCandidates);
    torch::Tensor err = (FakeQuantize(w, xm, bits, is_signed) - w).pow(2).sum(1).to(torch::kDouble);
    torch::Tensor better = err < best_err;
    best_err = torch::where(better, err, best_err);
    best = torch::where(better, xm, best);
  }
  return best.clamp_min(kMinRange);
}

}  // namespace bitsearch
