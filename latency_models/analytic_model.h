// AnalyticModel: latency from published kernel throughputs instead of measurements.
//
//   compute = MACs / (macs_per_cycle(a, w) * (depthwise ? depthwise_efficiency : 1))
//   memory  = bytes moved / bytes_per_cycle   (weights at w bits, input at a bits, output at
//             8 bits, or at a bits when a >= 16: fp16/fp32 networks keep float outputs)
//   latency = overhead + (overlap_memory ? max(compute, memory) : compute + memory)
// Good for SIMD MCUs with known kernels. Thread-safety: immutable.
#ifndef BITSEARCH_LATENCY_MODELS_ANALYTIC_MODEL_H_
#define BITSEARCH_LATENCY_MODELS_ANALYTIC_MODEL_H_

#include <map>
#include <string>
#include <utility>

#include "latency_models/latency_model.h"

namespace bitsearch {

struct AnalyticParams {
  std::string name;
  std::string unit = "cycles";
  // Throughput of the layer kernels, keyed by (act_bits, weight_bits); every value > 0.
  std::map<std::pair<int, int>, double> macs_per_cycle;
  double per_layer_overhead = 0.0;     // fixed cost of a layer call (setup, tiling, barriers)
  double bytes_per_cycle = 0.0;        // memory bandwidth; 0 disables the memory term
  bool overlap_memory = false;         // DMA double-buffering hides transfers behind compute
  double depthwise_efficiency = 1.0;   // depthwise kernels reach this share of the dense rate
};

class AnalyticModel : public LatencyModel {
 public:
  // Checks the parameters (positive throughputs, efficiency in (0, 1], ...).
  static absl::StatusOr<std::unique_ptr<AnalyticModel>> Create(AnalyticParams params);

  // NotFound when the profile has no throughput for (act_bits, weight_bits).
  absl::StatusOr<LatencyEstimate> Estimate(const LayerSignature& signature, int act_bits,
                                           int weight_bits) const override;
  std::string unit() const override { return params_.unit; }
  std::string name() const override { return params_.name; }
  const AnalyticParams& params() const { return params_; }

 private:
  explicit AnalyticModel(AnalyticParams params) : params_(std::move(params)) {}
  AnalyticParams params_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_ANALYTIC_MODEL_H_
