#include "latency_models/bops_model.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bitsearch {

absl::StatusOr<LatencyEstimate> BopsModel::Estimate(const LayerSignature& signature, int act_bits,
                                                    int weight_bits) const {
  if (!IsSupportedBitWidth(act_bits) || !IsSupportedBitWidth(weight_bits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bit pair a", act_bits, "/w", weight_bits, " is outside 1..32"));
  }
  LatencyEstimate e;
  e.latency = static_cast<double>(signature.Macs()) * act_bits * weight_bits;
  return e;
}

}  // namespace bitsearch
