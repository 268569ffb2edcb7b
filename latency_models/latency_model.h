// LatencyModel: the port through which search and refinement ask what a layer costs on a device.
//
// Implementations: LookupTableModel (measured CSV), AnalyticModel (MACs/cycle per bit pair plus
// overhead and memory terms), BopsModel (MACs x a x w). All are immutable once built, so every
// const method is safe to call from many threads at once.
#ifndef BITSEARCH_LATENCY_MODELS_LATENCY_MODEL_H_
#define BITSEARCH_LATENCY_MODELS_LATENCY_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/layer_signature.h"

namespace bitsearch {

// One layer's estimate, with a note when the model had to extrapolate (e.g. a lookup table
// scaling the nearest measured signature), so a result can say which numbers were not measured.
struct LatencyEstimate {
  double latency = 0.0;
  bool extrapolated = false;
  std::string note;  // empty unless extrapolated
};

class LatencyModel {
 public:
  virtual ~LatencyModel() = default;

  // Latency of one layer at (act_bits, weight_bits), in unit(); errors name what is missing.
  virtual absl::StatusOr<LatencyEstimate> Estimate(const LayerSignature& signature, int act_bits,
                                                   int weight_bits) const = 0;
  // Estimate(...).latency.
  absl::StatusOr<double> Latency(const LayerSignature& signature, int act_bits,
                                 int weight_bits) const;
  // "cycles", "seconds", or "bops" for the hardware-independent proxy.
  virtual std::string unit() const = 0;
  // The profile name this model was loaded from (or a descriptive name).
  virtual std::string name() const = 0;
};

// One entry of a whole-network configuration.
struct LayerWorkload {
  LayerSignature signature;
  int act_bits = 8;
  int weight_bits = 8;
  // Fraction of the layer's MACs still computed after pruning output (and input) channels.
  double kept_mac_fraction = 1.0;
};

struct NetworkLatency {
  double total = 0.0;
  std::vector<double> per_layer;        // same order as the input
  std::vector<std::string> notes;       // one per extrapolated layer, "layer 3: ..."
};

// Sum of layer latencies. A pruned layer's latency is the full layer's latency times its kept-MAC
// fraction: kernels on these devices loop over output channels, so time follows the work done.
// The per-layer overhead shrinks with it, a small underestimate for heavily pruned layers that we
// accept to keep the model linear in the fraction. A layer with 0 weight or activation bits, or
// a kept fraction of 0, is removed and costs nothing.
absl::StatusOr<NetworkLatency> ComputeNetworkLatency(const LatencyModel& model,
                                                     const std::vector<LayerWorkload>& layers);

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_LATENCY_MODEL_H_
