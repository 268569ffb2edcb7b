// Test helper: ONNX Runtime (npm onnxruntime-node, via tests/onnxruntime/ort_eval.sh) as the
// independent judge of an exported model. Writes the samples (and labels / reference logits) as
// .npy files, runs the script, and parses its JSON line. The script installs ONNX Runtime on first
// use into the build's cache; when it cannot, the error says why.
// Thread-safety: each call uses its own temporary folder.
#ifndef BITSEARCH_SEARCH_ONNX_ORT_JUDGE_H_
#define BITSEARCH_SEARCH_ONNX_ORT_JUDGE_H_

#include <torch/torch.h>

#include <string>

#include "absl/status/statusor.h"

namespace bitsearch {

struct OrtVerdict {
  std::string runtime;               // "onnxruntime-node 1.20.1"
  int64_t samples = 0;
  double top1_percent = -1;          // against `labels`, when given
  double agreement_percent = -1;     // argmax equal to `reference`'s, when given
  double max_abs_logit_diff = -1;    // against reference logits [N, K]
};

// Runs `model_path` on `x` ([N, C, H, W], fed as float32 as given). `labels` [N] and `reference`
// (logits [N, K] or ids [N]) are optional (undefined tensors).
absl::StatusOr<OrtVerdict> JudgeWithOnnxRuntime(const std::string& model_path, const torch::Tensor& x,
                                                const torch::Tensor& labels = {},
                                                const torch::Tensor& reference = {});

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_ORT_JUDGE_H_
