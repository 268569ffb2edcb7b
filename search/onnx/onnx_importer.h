// Internals of the ONNX import (onnx_import.h): the Importer that walks an ONNX graph in
// topological order and builds a bitsearch Graph plus its pretrained values. Its set-up and
// bookkeeping are in onnx_importer.cc, the translation of each operator in onnx_import_ops.cc.
// Not part of the public API. Thread-safety: one Importer per import.
#ifndef BITSEARCH_SEARCH_ONNX_ONNX_IMPORTER_H_
#define BITSEARCH_SEARCH_ONNX_ONNX_IMPORTER_H_

#include <torch/torch.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"
#include "search/onnx/onnx_import.h"

namespace bitsearch::onnx_import_internal {

inline constexpr int64_t kMinOpset = 11;
inline constexpr int64_t kMaxOpset = 17;

// The ONNX operator types the importer translates.
const std::set<std::string>& SupportedOps();

// A value flowing through the ONNX graph: a tensor computed by a Graph node, or a constant.
struct Value {
  int node = -1;           // Graph node index when a runtime tensor
  torch::Tensor constant;  // defined when a constant (initializer or Constant output)
};

class Importer {
 public:
  Importer(const onnx::ModelProto& model, const OnnxImportOptions& options)
      : model_(model), graph_proto_(model.graph()), options_(options) {}

  // Imports the whole model; INVALID_ARGUMENT naming the node or tensor at fault.
  absl::StatusOr<ImportedModel> Run();

 private:
  absl::Status CheckOpset();

  // Refuses the whole model, listing every unsupported op type with its nodes.
  absl::Status CheckOperators();

  absl::Status ReadInitializers();

  absl::Status ReadInput();

  static std::string Describe(const onnx::NodeProto& node, int k);

  // Kahn's algorithm over the tensor dependencies: finds missing producers and cycles.
  absl::Status TopologicalOrder();

  std::string NodeName(const onnx::NodeProto& node);

  absl::Status Error(const onnx::NodeProto& node, const std::string& what);

  // The runtime tensor feeding input `i` of `node`.
  absl::StatusOr<int> TensorInput(const onnx::NodeProto& node, int i);

  // The constant feeding input `i`, or an undefined tensor when the optional input is absent.
  absl::StatusOr<torch::Tensor> ConstInput(const onnx::NodeProto& node, int i, bool required);

  absl::Status ExpectShape(const onnx::NodeProto& node, const std::string& what,
                           const torch::Tensor& t, const std::vector<int64_t>& dims);

  void SetOutput(const onnx::NodeProto& node, int graph_node);

  absl::Status RequireUnused(const onnx::NodeProto& node, int from);

  // Spatial window attributes shared by Conv and the pools: kernel, strides, symmetric pads.
  absl::Status Window(const onnx::NodeProto& node, int input, Node* n);

  // Runs shape inference on the graph built so far (for auto_pad and Reshape).
  absl::Status Shapes();

  absl::Status ImportNode(const onnx::NodeProto& node);

  absl::Status ImportConstant(const onnx::NodeProto& node);

  absl::Status ImportConv(const onnx::NodeProto& node);

  absl::StatusOr<std::vector<int64_t>> ShapeOf(int graph_node);

  absl::Status AddLinear(const onnx::NodeProto& node, int x, const torch::Tensor& w,
                         const torch::Tensor& b);

  absl::Status ImportGemm(const onnx::NodeProto& node);

  absl::Status ImportMatMul(const onnx::NodeProto& node);

  absl::Status ImportAdd(const onnx::NodeProto& node);

  absl::Status ImportBatchNorm(const onnx::NodeProto& node);

  absl::Status ImportClip(const onnx::NodeProto& node);

  absl::Status ImportPool(const onnx::NodeProto& node);

  absl::Status ImportReshape(const onnx::NodeProto& node);

  void Param(const std::string& node_name, const std::string& what, const torch::Tensor& t);

  absl::Status Finish();

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_proto_;
  OnnxImportOptions options_;
  ImportedModel out_;
  Graph graph_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::map<std::string, int> matmul_out_;  // MatMul output tensor -> its linear node
  std::set<std::string> names_;            // module names taken
  std::vector<int> order_;
};

}  // namespace bitsearch::onnx_import_internal

#endif  // BITSEARCH_SEARCH_ONNX_ONNX_IMPORTER_H_
