// ONNX import: reads a model as PyTorch's torch.onnx.export (opsets 11 to 17) writes it and turns
// it into a bitsearch Graph plus its initializers as pretrained weights.
//
// Operators: Conv (groups, symmetric pads, strides, dilations), Gemm, MatMul (+ Add of a constant
// bias), BatchNormalization, Relu, Clip (ReLU6 or general constant bounds), MaxPool, AveragePool,
// GlobalAveragePool, Flatten (axis 1), Reshape (to [batch, features]), Add (residual), Identity and
// Dropout (skipped), Constant (as inputs of other ops). Anything else is refused before anything is
// built, with the op types and node names. The batch dimension of the graph input is symbolic;
// C, H and W come from the input's declared shape (or OnnxImportOptions::input_shape).
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_ONNX_ONNX_IMPORT_H_
#define BITSEARCH_SEARCH_ONNX_ONNX_IMPORT_H_

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "search/graph.h"
#include "search/network.h"

namespace bitsearch {

struct OnnxImportOptions {
  // C,H,W to use where the model's input declares symbolic dimensions (empty = the model's own).
  std::vector<int64_t> input_shape;
};

struct ImportedModel {
  Graph graph;                       // shapes inferred; node names are the ONNX node names
  std::vector<int64_t> input_shape;  // C, H, W
  int64_t classes = 0;               // logits per sample
  int64_t opset = 0;                 // the model's default-domain opset
  std::string input_name;            // the ONNX graph input and output names
  std::string output_name;
  // Pretrained values keyed by the Network's parameter / buffer names ("conv1_weight", ...).
  std::map<std::string, torch::Tensor> parameters;
};

// Imports the serialized ModelProto in `bytes`. Errors (INVALID_ARGUMENT) say what is wrong: not an
// ONNX file, a truncated file, an opset outside 11..17, unsupported operators (listed with their
// nodes), a cycle, a mismatched initializer shape, external-data tensors.
absl::StatusOr<ImportedModel> ImportOnnxBytes(const std::string& bytes,
                                              const OnnxImportOptions& options = {});

// Reads `path` and imports it; NOT_FOUND when the file cannot be read.
absl::StatusOr<ImportedModel> ImportOnnxFile(const std::string& path,
                                             const OnnxImportOptions& options = {});

// Copies the imported values into a Network built from `model.graph` (before any BN folding).
// Every conv/linear/BN parameter of `net` must be covered, with the same shape.
absl::Status LoadImportedWeights(const ImportedModel& model, NetworkImpl& net);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_ONNX_ONNX_IMPORT_H_
