#include "latency_models/analytic_model.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bitsearch {

absl::StatusOr<std::unique_ptr<AnalyticModel>> AnalyticModel::Create(AnalyticParams params) {
  if (params.macs_per_cycle.empty()) {
    return absl::InvalidArgumentError("macs_per_cycle: no bit pairs given");
  }
  for (const auto& [pair, rate] : params.macs_per_cycle) {
    if (!IsSupportedBitWidth(pair.first) || !IsSupportedBitWidth(pair.second)) {
      return absl::InvalidArgumentError(absl::StrCat("macs_per_cycle: bit pair a", pair.first,
                                                     "/w", pair.second, " is outside 1..32"));
    }
    if (!(rate > 0.0) || !std::isfinite(rate)) {
      return absl::InvalidArgumentError(absl::StrCat("macs_per_cycle a", pair.first, "/w",
                                                     pair.second, ": ", rate,
                                                     " is not a positive number"));
    }
  }
  if (!(params.per_layer_overhead >= 0.0) || !std::isfinite(params.per_layer_overhead)) {
    return absl::InvalidArgumentError("per_layer_overhead: must be >= 0");
  }
  if (!(params.bytes_per_cycle >= 0.0) || !std::isfinite(params.bytes_per_cycle)) {
    return absl::InvalidArgumentError("bytes_per_cycle: must be >= 0 (0 disables the term)");
  }
  if (!(params.depthwise_efficiency > 0.0 && params.depthwise_efficiency <= 1.0)) {
    return absl::InvalidArgumentError("depthwise_efficiency: must be in (0, 1]");
  }
  return std::unique_ptr<AnalyticModel>(new AnalyticModel(std::move(params)));
}

absl::StatusOr<LatencyEstimate> AnalyticModel::Estimate(const LayerSignature& s, int act_bits,
                                                        int weight_bits) const {
  auto it = params_.macs_per_cycle.find({act_bits, weight_bits});
  if (it == params_.macs_per_cycle.end()) {
    return absl::NotFoundError(absl::StrCat("profile '", params_.name, "' has no throughput for a",
                                            act_bits, "/w", weight_bits));
  }
  double rate = it->second;
  if (s.IsDepthwise()) rate *= params_.depthwise_efficiency;
  const double compute = static_cast<double>(s.Macs()) / rate;
  double memory = 0.0;
  if (params_.bytes_per_cycle > 0.0) {
    const int out_bits = act_bits >= 16 ? act_bits : 8;
    const double bits = static_cast<double>(s.WeightCount()) * weight_bits +
                        static_cast<double>(s.in_channels * s.in_h * s.in_w) * act_bits +
                        static_cast<double>(s.out_channels * s.out_h * s.out_w) * out_bits;
    memory = bits / 8.0 / params_.bytes_per_cycle;
  }
  LatencyEstimate e;
  e.latency = params_.per_layer_overhead +
              (params_.overlap_memory ? std::max(compute, memory) : compute + memory);
  return e;
}

}  // namespace bitsearch
