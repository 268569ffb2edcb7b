// BopsModel: the hardware-independent proxy, latency = MACs x act_bits x weight_bits.
//
// Misleading wherever sub-byte arithmetic is not faster (unpacking costs), which is exactly the
// case Free Bits exists for; kept as the baseline the other models are compared with.
// Thread-safety: immutable, safe to share.
#ifndef BITSEARCH_LATENCY_MODELS_BOPS_MODEL_H_
#define BITSEARCH_LATENCY_MODELS_BOPS_MODEL_H_

#include <string>

#include "latency_models/latency_model.h"

namespace bitsearch {

class BopsModel : public LatencyModel {
 public:
  explicit BopsModel(std::string name = "bops") : name_(std::move(name)) {}
  // MACs * act_bits * weight_bits; bit widths outside [1, 32] are errors.
  absl::StatusOr<LatencyEstimate> Estimate(const LayerSignature& signature, int act_bits,
                                           int weight_bits) const override;
  std::string unit() const override { return "bops"; }
  std::string name() const override { return name_; }

 private:
  std::string name_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_BOPS_MODEL_H_
