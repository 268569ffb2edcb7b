// Export of a fine-tuned fixed-bit Network for deployment, into one folder:
//  - model.onnx: opset 13, QuantizeLinear -> Clip -> DequantizeLinear around every quantized weight
//    and activation (int8 containers; the Clip bounds encode the 2/4/8-bit grid), 16-bit tensors
//    as Clip/Div/Round/Mul, pruned channels removed where exact (export_plan.h). It passes
//    onnx::checker and strict ONNX shape inference before it is written.
//  - quant.json: per layer its bits, scales, zero points, kept channel indices and its integer
//    weights packed at their bit width (quant_json.h documents the format).
//  - model.pt: a TorchScript module of the same fake-quantized model (built from TorchScript
//    source with torch::jit in C++; load it with torch.jit.load).
//  - with ExportOptions::include_preprocessing, both models start with the data preprocessing
//    ((x * scale - mean) / std per channel) and take the data set's raw values.
// Thread-safety: functions over one network; drive it from one thread.
#ifndef BITSEARCH_SEARCH_ONNX_ONNX_EXPORT_H_
#define BITSEARCH_SEARCH_ONNX_ONNX_EXPORT_H_

#include <torch/torch.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/data/preprocess.h"
#include "search/network.h"

namespace bitsearch {

struct ExportOptions {
  bool torchscript = true;    // also write model.pt
  // The data preprocessing the network was trained behind, recorded in quant.json; with
  // include_preprocessing it becomes the first nodes of model.onnx and model.pt (Mul, Sub, Div),
  // which then take the data set's raw values.
  std::optional<Preprocessing> preprocessing;
  bool include_preprocessing = false;
  // Optional [N,C,H,W] samples before preprocessing: the exported files are run on what a user
  // feeds them and compared with the Network on the preprocessed samples.
  torch::Tensor check_inputs;
};

struct ExportReport {
  std::string dir;
  int64_t payload_bytes = 0;           // integer weight bytes in quant.json
  int64_t expected_payload_bytes = 0;  // sum over layers of ceil(kept weights x bits / 8)
  int64_t removed_channels = 0;        // pruned output channels taken out of model.onnx
  int64_t checked_samples = 0;
  double onnx_agreement_percent = -1;        // top-1 of model.onnx (run by onnx_eval) = Network's
  double torchscript_agreement_percent = -1; // top-1 of model.pt = Network's
  double onnx_max_logit_diff = -1;
  nlohmann::json ToJson() const;
  // Errors: INVALID_ARGUMENT naming a missing or ill-typed field.
  static absl::StatusOr<ExportReport> FromJson(const nlohmann::json& j);
};

// Writes model.onnx, quant.json and (optionally) model.pt into `dir` (created if missing).
// `net` must have its BNs folded and its quantizers fixed (SetFixed). Errors: FAILED_PRECONDITION
// for a network that is not fixed, INTERNAL when the ONNX checker rejects the model or a file
// cannot be written (the message names the path).
absl::StatusOr<ExportReport> ExportQuantized(NetworkImpl& net, const std::string& dir,
                                             const ExportOptions& options = {});

// The serialized model.onnx of `net` (checked), without writing anything.
absl::StatusOr<std::string> QuantizedOnnxBytes(NetworkImpl& net);

// onnx::checker::check_model plus strict shape inference; the checker's message on failure.
absl::Status CheckOnnxBytes(const std::string& bytes);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_ONNX_EXPORT_H_
