// A small reference interpreter for ONNX models, written from the operator specifications with
// LibTorch tensor ops: it runs what bitsearch writes (QuantizeLinear / Clip / DequantizeLinear
// around Conv, Gemm, pools, ...) and what it reads, so exported files are checked by executing
// them rather than by re-importing them. No ONNX runtime is packaged in Debian 12.
//
// Ops: Conv, Gemm, MatMul, Add, Sub, Mul, Div, Round, Relu, Clip (float and integer), MaxPool,
// AveragePool, GlobalAveragePool, Flatten, Reshape, BatchNormalization, Identity, Dropout,
// Constant, QuantizeLinear and DequantizeLinear (per-tensor, int8/uint8; round half to even and
// saturation as the spec says). Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_ONNX_ONNX_EVAL_H_
#define BITSEARCH_SEARCH_ONNX_ONNX_EVAL_H_

#include <torch/torch.h>

#include <string>

#include "absl/status/statusor.h"

namespace bitsearch {

// Runs the serialized model on `input` (its one graph input) and returns its first output.
// Errors name the node for an operator or attribute outside the subset above.
absl::StatusOr<torch::Tensor> RunOnnxModel(const std::string& model_bytes, const torch::Tensor& input);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_ONNX_EVAL_H_
