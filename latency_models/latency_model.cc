#include "latency_models/latency_model.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bitsearch {

absl::StatusOr<double> LatencyModel::Latency(const LayerSignature& signature, int act_bits,
                                             int weight_bits) const {
  absl::StatusOr<LatencyEstimate> e = Estimate(signature, act_bits, weight_bits);
  if (!e.ok()) return e.status();
  return e->latency;
}

absl::StatusOr<NetworkLatency> ComputeNetworkLatency(const LatencyModel& model,
                                                     const std::vector<LayerWorkload>& layers) {
  NetworkLatency out;
  out.per_layer.reserve(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerWorkload& l = layers[i];
    if (!(l.kept_mac_fraction >= 0.0 && l.kept_mac_fraction <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "layer ", i, ": kept_mac_fraction ", l.kept_mac_fraction, " is outside [0, 1]"));
    }
    if (l.act_bits == 0 || l.weight_bits == 0 || l.kept_mac_fraction == 0.0) {
      out.per_layer.push_back(0.0);
      continue;
    }
    absl::StatusOr<LatencyEstimate> e = model.Estimate(l.signature, l.act_bits, l.weight_bits);
    if (!e.ok()) {
      return absl::Status(e.status().code(),
                          absl::StrCat("layer ", i, " (", l.signature.Key(), "): ",
                                       e.status().message()));
    }
    if (e->extrapolated) out.notes.push_back(absl::StrCat("layer ", i, ": ", e->note));
    const double latency = e->latency * l.kept_mac_fraction;
    out.per_layer.push_back(latency);
    out.total += latency;
  }
  return out;
}

}  // namespace bitsearch
