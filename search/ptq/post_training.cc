#include "search/ptq/post_training.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "search/job_checkpoint.h"
#include "search/ptq/adaround.h"
#include "search/ptq/layer_stats.h"
#include "search/ptq/grid.h"
#include "search/ptq/ptq_quantizer.h"
#include "search/ptq/range_setting.h"

namespace bitsearch {
namespace {

// Weight ranges of every layer at its bits.
void SetWeightRanges(NetworkImpl& q, const BitConfig& bits, const PtqOptions& options) {
  torch::NoGradGuard no_grad;
  auto& layers = q.layer_quants();
  for (size_t k = 0; k < layers.size(); ++k) {
    torch::Tensor w = q.weight(layers[k].node).detach();
    const int b = bits.layers[k].weight_bits;
    const RangeMethod method = QuantizesAtBits(b) ? options.weight_range : RangeMethod::kMinMax;
    const bool is_signed = w.min().item<float>() < 0;
    torch::Tensor x_max = options.per_channel
                              ? ChooseWeightRangePerChannel(w, method, std::max(b, 2))
                              : torch::tensor(ChooseWeightRange(w, method, std::max(b, 2)));
    AsPtq(*layers[k].weight).SetRange(x_max, is_signed);
  }
}

// The bits of every activation quantizer (the network input at 8).
std::vector<int> ActivationBits(NetworkImpl& q, const BitConfig& bits) {
  std::vector<int> out(q.act_quantizers().size(), 8);
  auto& layers = q.layer_quants();
  for (size_t k = 0; k < layers.size(); ++k) {
    if (q.act_producer(layers[k].act) != 0) out[layers[k].act] = bits.layers[k].act_bits;
  }
  return out;
}

// Activation ranges from the float network `ref` on the calibration data: extremes in one pass,
// histograms in a second (their bins span the extremes).
void SetActivationRanges(NetworkImpl& q, NetworkImpl& ref, const torch::Tensor& data,
                         const BitConfig& bits, const PtqOptions& options) {
  torch::NoGradGuard no_grad;
  const size_t n = q.act_quantizers().size();
  const std::vector<int> act_bits = ActivationBits(q, bits);
  std::vector<RangeStatistics> stats(n);
  const bool histogram = options.act_range != RangeMethod::kMinMax;
  for (int pass = 0; pass < (histogram ? 2 : 1); ++pass) {
    for (int64_t b = 0; b < data.size(0); b += options.batch_size) {
      std::vector<torch::Tensor> values = ref.ForwardValues(data.slice(0, b, b + options.batch_size));
      for (size_t a = 0; a < n; ++a) {
        const torch::Tensor& v = values[q.act_producer(static_cast<int>(a))];
        if (pass == 0) {
          stats[a].ObserveExtremes(v);
        } else {
          stats[a].ObserveHistogram(v);
        }
      }
    }
  }
  for (size_t a = 0; a < n; ++a) {
    // The network input is never clipped below its extremes: it counts as 8-bit data.
    const bool input = q.act_producer(static_cast<int>(a)) == 0;
    const RangeMethod method = input || !QuantizesAtBits(act_bits[a]) ? RangeMethod::kMinMax : options.act_range;
    const float x_max = stats[a].Choose(method, std::max(act_bits[a], 2), options.percentile);
    AsPtq(*q.act_quantizers()[a]).SetRange(torch::tensor(x_max), stats[a].is_signed());
  }
}

}  // namespace

nlohmann::json PtqReportToJson(const PtqReport& r) {
  using nlohmann::json;
  json cle;
  if (!r.cle.chains.empty() || r.cle.iterations > 0) {
    cle = {{"chains", r.cle.chains},
           {"iterations", r.cle.iterations},
           {"last_change", r.cle.last_change},
           {"absorbed", r.cle.absorbed},
           {"absorbed_channels", r.cle.absorbed_channels},
           {"relu6_left_out", r.cle.relu6_left_out},
           {"relu6_replaced", r.cle.relu6_replaced}};
  }
  json bias;
  if (!r.bias_correction.corrected.empty() || !r.bias_correction.skipped.empty()) {
    bias = {{"corrected", r.bias_correction.corrected},
            {"mean_abs_shift", r.bias_correction.mean_abs_shift},
            {"skipped", r.bias_correction.skipped}};
  }
  json rounding;
  for (const LayerRoundingReport& l : r.rounding) {
    rounding.push_back({{"layer", l.layer},
                        {"samples", l.samples},
                        {"error_nearest", l.error_nearest},
                        {"error_adaround", l.error_adaround},
                        {"changed_fraction", l.changed_fraction},
                        {"kept_nearest", l.kept_nearest},
                        {"seconds", l.seconds}});
  }
  return {{"cle", cle}, {"bias_correction", bias}, {"adaround", rounding}, {"seconds", r.seconds}};
}

Network PtqNetworkOf(NetworkImpl& net, bool prunable) {
  NetworkOptions options = net.options();
  options.prune = prunable;
  options.quantizers = PtqQuantizers();
  Network out(net.graph(), options);
  // The network's own parameters and buffers (weights, biases, BatchNorms that could not be
  // folded); the quantizers are children and keep their fresh state.
  torch::NoGradGuard no_grad;
  auto params = out->named_parameters(/*recurse=*/false);
  auto buffers = out->named_buffers(/*recurse=*/false);
  for (auto& p : net.named_parameters(/*recurse=*/false)) {
    if (torch::Tensor* mine = params.find(p.key())) mine->copy_(p.value());
  }
  for (auto& b : net.named_buffers(/*recurse=*/false)) {
    if (torch::Tensor* mine = buffers.find(b.key())) mine->copy_(b.value());
  }
  out->SetQuantMode(QuantMode::kBypass);
  out->eval();
  return out;
}

absl::StatusOr<PtqOutcome> QuantizePostTraining(NetworkImpl& float_net,
                                                const torch::Tensor& calibration,
                                                const BitConfig& bits, const PtqOptions& options,
                                                const PtqProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (options.adaround.enabled && options.bias_correction != BiasCorrectionMode::kNone) {
    return absl::InvalidArgumentError(
        "ptq: use AdaRound or bias correction, not both (AdaRound already fits the output)");
  }
  if (options.weight_range == RangeMethod::kPercentile) {
    return absl::InvalidArgumentError("ptq: weight ranges are min-max or MSE, not percentile");
  }
  if (!calibration.defined() || calibration.size(0) == 0) {
    return absl::InvalidArgumentError("ptq: no calibration samples");
  }
  if (bits.layers.size() != float_net.layer_quants().size()) {
    return absl::InvalidArgumentError(absl::StrCat("ptq: the bit configuration has ",
                                                   bits.layers.size(), " layers, the network ",
                                                   float_net.layer_quants().size()));
  }
  PtqOutcome out{PtqNetworkOf(float_net), {}};
  // Equalize the float network; statistics for high-bias absorption are measured on the
  // calibration data (the folded network no longer has its BatchNorms).
  if (options.cle.enabled) {
    LayerStats stats;
    if (options.cle.high_bias_absorption) {
      stats = MeasureLayerStats(*out.network, calibration, options.batch_size);
    }
    CleResult cle = EqualizeCrossLayer(out.network, options.cle, &stats);
    out.network = cle.network;
    out.report.cle = std::move(cle.report);
    out.network->SetQuantMode(QuantMode::kBypass);
    out.network->eval();
  }
  Network q = out.network;
  Network ref = PtqNetworkOf(*q);  // the float network the quantized one is compared against
  SetWeightRanges(*q, bits, options);
  SetActivationRanges(*q, *ref, calibration, bits, options);
  BitConfig fixed = bits;
  for (LayerBits& l : fixed.layers) l.keep.clear();
  q->SetFixed(fixed);
  q->SetQuantMode(QuantMode::kFixed);
  if (options.adaround.enabled) {
    absl::Status st = RoundNetworkAdaptively(*q, *ref, calibration, fixed, options.adaround,
                                             options.batch_size, progress, &out.report.rounding);
    if (!st.ok()) return st;
  } else if (options.bias_correction == BiasCorrectionMode::kEmpirical) {
    CorrectBiasEmpirically(*q, *ref, calibration, options.batch_size,
                           &out.report.bias_correction);
  } else if (options.bias_correction == BiasCorrectionMode::kAnalytic) {
    // No BatchNorm is left to read: the producers' statistics are measured on the float network.
    LayerStats stats = MeasureLayerStats(*ref, calibration, options.batch_size);
    CorrectBiasAnalytically(*q, stats, &out.report.bias_correction);
  }
  q->eval();
  out.report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

absl::StatusOr<PtqOutcome> QuantizeInPhase(NetworkImpl& float_net, const torch::Tensor& calibration,
                                           const BitConfig& bits, const PtqOptions& options,
                                           JobObserver* observer, const std::string& phase) {
  PtqProgress progress = ObserveAdaRound(observer, phase, float_net.graph(), options.adaround);
  return QuantizePostTraining(float_net, calibration, bits, options, progress);
}

}  // namespace bitsearch
