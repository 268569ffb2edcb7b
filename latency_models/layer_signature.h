// LayerSignature: the shape of one conv/linear layer as far as a latency model cares.
//
// Free Bits (arXiv:2307.02894) reduces every conv/linear layer to a signature so that
// identical layers merge into one row of a measured table. Linear layers are written as 1x1
// convolutions on a 1x1 image (kernel 1, spatial 1x1, groups 1). Thread-safety: plain value type.
#ifndef BITSEARCH_LATENCY_MODELS_LAYER_SIGNATURE_H_
#define BITSEARCH_LATENCY_MODELS_LAYER_SIGNATURE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

struct LayerSignature {
  std::string type = "conv";  // "conv" | "linear"
  int64_t groups = 1;         // == in_channels for a depthwise conv
  int64_t kernel_h = 1;
  int64_t kernel_w = 1;
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t in_h = 1;
  int64_t in_w = 1;
  int64_t out_h = 1;
  int64_t out_w = 1;
  int64_t in_channels = 1;   // in_features for a linear layer
  int64_t out_channels = 1;  // out_features for a linear layer

  // A linear layer with the given feature counts (kernel 1, spatial 1x1).
  static LayerSignature Linear(int64_t in_features, int64_t out_features);

  // Multiply-accumulates of one forward pass (batch 1).
  int64_t Macs() const;
  // Number of weight elements (bias excluded).
  int64_t WeightCount() const;
  // True for a depthwise convolution (one group per input channel, more than one channel).
  bool IsDepthwise() const { return groups > 1 && groups == in_channels; }
  // Stable text key, e.g. "conv:g1:k3x3:s1:p1:in28x28:out28x28:c1>32"; equal keys <=> equal
  // signatures.
  std::string Key() const;
  // OK when the fields describe a layer that can exist; the message names the offending field.
  absl::Status Validate() const;

  auto Tie() const {
    return std::tie(type, groups, kernel_h, kernel_w, stride, padding, in_h, in_w, out_h, out_w,
                    in_channels, out_channels);
  }
  bool operator==(const LayerSignature& o) const { return Tie() == o.Tie(); }
  bool operator!=(const LayerSignature& o) const { return !(*this == o); }
  bool operator<(const LayerSignature& o) const { return Tie() < o.Tie(); }
};

struct LayerSignatureHash {
  size_t operator()(const LayerSignature& s) const;
};

// JSON form: an object with the field names above. Missing fields take the defaults of a linear
// layer's shape except `type`, which is required; unknown fields are errors that name the field.
nlohmann::json SignatureToJson(const LayerSignature& s);
absl::StatusOr<LayerSignature> SignatureFromJson(const nlohmann::json& j,
                                                 const std::string& where = "signature");

// The bit widths bitsearch knows: 0 (pruned) is never a latency-table entry.
bool IsSupportedBitWidth(int bits);

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_LAYER_SIGNATURE_H_
