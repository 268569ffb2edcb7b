// quant.json: the exported integer model for deployment tools that want raw tensors.
//
// Format (version 1):
//   {"format": "bitsearch-quant", "version": 1, "input_shape": [C,H,W],
//    "preprocessing": {"source": "auto"|"spec", "formula", "scale", "mean": [per channel],
//                      "std": [per channel], "in_model": bool, "model_input": text} (when known),
//    "activations": [{"index", "tensor", "bits", "signed", "scale", "zero_point", "qmin", "qmax",
//                     "x_max"}],
//    "layers": [{"name", "type": "conv"|"linear", "weight_bits", "act_bits", "act_index",
//                "signed", "scale", "zero_point", "qmin", "qmax", "x_max",
//                "out_channels" (original count), "kept_channels" (original indices kept by the
//                search), "input_channels" (original indices of the input channels the weights
//                span), "features_per_channel", "channels_removed_in_onnx",
//                "weight_shape" (of the packed tensor: [kept, inputs, kh, kw] or [kept, in]),
//                "bias" (floats, kept channels; folds of removed producers included),
//                "payload_bytes", "weights" (base64)}],
//    "payload_bytes": total}
// Packing: the kept weights in row-major order, element i in bits [i*b, (i+1)*b) of the byte
// string, counting from the least significant bit of byte 0 (little-endian bit order); each
// element is the b-bit two's complement integer q held in the int8 container of model.onnx
// (zero point included), so real = (q - zero_point) * scale. Each tensor ends on a byte boundary:
// payload_bytes = ceil(kept weights x b / 8). 32-bit tensors are raw little-endian IEEE float32;
// 0-bit (fully pruned) layers have no payload.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_ONNX_QUANT_JSON_H_
#define BITSEARCH_SEARCH_ONNX_QUANT_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "search/onnx/export_plan.h"

namespace bitsearch {

nlohmann::json BuildQuantJson(const ExportPlan& plan);

// Packs `values` (each fitting b-bit two's complement) LSB-first; and the inverse.
std::string PackBits(const std::vector<int64_t>& values, int bits);
std::vector<int64_t> UnpackBits(const std::string& bytes, int bits, int64_t count);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_QUANT_JSON_H_
