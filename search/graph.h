// The layer graph: a small DAG of the operators bitsearch can quantize and run (conv incl.
// grouped/depthwise, linear, batch norm, ReLU / clip, pools, flatten, residual add).
//
// A Graph is plain data (no tensors): zoo builders and the ONNX importer produce one, shape
// inference fills the shapes, and `Network` (network.h) turns it into a LibTorch module.
// Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_GRAPH_H_
#define BITSEARCH_SEARCH_GRAPH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace bitsearch {

enum class Op {
  kInput,
  kConv,
  kLinear,
  kBatchNorm,
  kReLU,
  kClip,          // general bounds; ReLU6 is Clip(0, 6)
  kMaxPool,
  kAvgPool,
  kGlobalAvgPool,
  kFlatten,
  kAdd,
  kIdentity,      // what a folded batch norm becomes
};

const char* OpName(Op op);

struct Node {
  Op op = Op::kIdentity;
  std::string name;
  std::vector<int> inputs;  // indices of producer nodes (all earlier in `nodes`)

  // kConv / kLinear (linear uses in/out channels only).
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;  // kConv only (ONNX import)
  int64_t groups = 1;
  bool bias = true;

  // kMaxPool / kAvgPool (kernel, stride, pad reuse the fields above).
  // kClip bounds.
  double clip_min = 0.0, clip_max = 6.0;
  // kBatchNorm.
  double bn_eps = 1e-5;

  // Filled by InferShapes: output shape without the batch dimension (C,H,W or features).
  std::vector<int64_t> out_shape;

  bool IsLayer() const { return op == Op::kConv || op == Op::kLinear; }
};

struct Graph {
  std::vector<Node> nodes;  // topologically ordered; nodes[0] is the input
  int output = -1;          // index of the node whose value is the logits

  // Adds a node after checking its inputs exist; returns its index.
  int Add(Node node);
  // Layer indices (conv/linear) in execution order.
  std::vector<int> Layers() const;
  // Their names, in the same order (the keys of a BitConfig).
  std::vector<std::string> LayerNames() const;
  // Nodes consuming node `i`.
  std::vector<int> Consumers(int i) const;
};

// Fills out_shape for every node from the input shape {C,H,W}; errors name the node.
absl::Status InferShapes(Graph& graph, const std::vector<int64_t>& input_shape);

// Multiply-accumulates of one layer per sample (needs shapes).
int64_t LayerMacs(const Graph& graph, int layer);

// Input spatial size of a conv layer (H, W) or {1,1} for linear.
std::pair<int64_t, int64_t> LayerInputHW(const Graph& graph, int layer);

// The graph with every BatchNorm that directly follows a conv (its only consumer) turned into
// Identity, the way Network::FoldBatchNorm folds the numbers. Pure structure.
Graph FoldedStructure(const Graph& graph);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_GRAPH_H_
