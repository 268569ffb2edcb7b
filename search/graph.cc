#include "search/graph.h"

#include "absl/strings/str_cat.h"

namespace bitsearch {

const char* OpName(Op op) {
  switch (op) {
    case Op::kInput: return "input";
    case Op::kConv: return "conv";
    case Op::kLinear: return "linear";
    case Op::kBatchNorm: return "batchnorm";
    case Op::kReLU: return "relu";
    case Op::kClip: return "clip";
    case Op::kMaxPool: return "maxpool";
    case Op::kAvgPool: return "avgpool";
    case Op::kGlobalAvgPool: return "globalavgpool";
    case Op::kFlatten: return "flatten";
    case Op::kAdd: return "add";
    case Op::kIdentity: return "identity";
  }
  return "?";
}

int Graph::Add(Node node) {
  for (int in : node.inputs) {
    if (in < 0 || in >= static_cast<int>(nodes.size())) {
      throw std::invalid_argument(absl::StrCat("node ", node.name, ": bad input index ", in));
    }
  }
  nodes.push_back(std::move(node));
  return static_cast<int>(nodes.size()) - 1;
}

std::vector<int> Graph::Layers() const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].IsLayer()) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::vector<std::string> Graph::LayerNames() const {
  std::vector<std::string> out;
  for (int l : Layers()) out.push_back(nodes[l].name);
  return out;
}

std::vector<int> Graph::Consumers(int i) const {
  std::vector<int> out;
  for (size_t j = 0; j < nodes.size(); ++j) {
    for (int in : nodes[j].inputs) {
      if (in == i) {
        out.push_back(static_cast<int>(j));
        break;
      }
    }
  }
  return out;
}

namespace {

int64_t PoolOut(int64_t in, int64_t k, int64_t s, int64_t p) { return (in + 2 * p - k) / s + 1; }

absl::Status NodeError(const Node& n, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("node ", n.name, " (", OpName(n.op), "): ", what));
}

}  // namespace

absl::Status InferShapes(Graph& graph, const std::vector<int64_t>& input_shape) {
  if (graph.nodes.empty() || graph.nodes[0].op != Op::kInput) {
    return absl::InvalidArgumentError("graph: the first node must be the input");
  }
  if (graph.output < 0 || graph.output >= static_cast<int>(graph.nodes.size())) {
    return absl::InvalidArgumentError("graph: no output node");
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& n = graph.nodes[i];
    if (n.op == Op::kInput) {
      n.out_shape = input_shape;
      continue;
    }
    if (n.inputs.empty()) return NodeError(n, "has no input");
    const std::vector<int64_t>& in = graph.nodes[n.inputs[0]].out_shape;
    switch (n.op) {
      case Op::kConv: {
        if (in.size() != 3) return NodeError(n, absl::StrCat("expects a C,H,W input, got ", in.size(), " dims"));
        if (in[0] != n.in_channels) {
          return NodeError(n, absl::StrCat("expects ", n.in_channels, " input channels, got ", in[0]));
        }
        if (n.groups < 1 || n.in_channels % n.groups || n.out_channels % n.groups) {
          return NodeError(n, absl::StrCat("groups ", n.groups, " must divide ", n.in_channels,
                                           " input and ", n.out_channels, " output channels"));
        }
        int64_t h = PoolOut(in[1], n.dilation_h * (n.kernel_h - 1) + 1, n.stride_h, n.pad_h);
        int64_t w = PoolOut(in[2], n.dilation_w * (n.kernel_w - 1) + 1, n.stride_w, n.pad_w);
        if (h < 1 || w < 1) return NodeError(n, "kernel larger than its padded input");
        n.out_shape = {n.out_channels, h, w};
        break;
      }
      case Op::kLinear: {
        if (in.size() != 1) return NodeError(n, "expects a flat input (add a flatten)");
        if (in[0] != n.in_channels) {
          return NodeError(n, absl::StrCat("expects ", n.in_channels, " input features, got ", in[0]));
        }
        n.out_shape = {n.out_channels};
        break;
      }
      case Op::kMaxPool:
      case Op::kAvgPool: {
        if (in.size() != 3) return NodeError(n, "expects a C,H,W input");
        int64_t h = PoolOut(in[1], n.kernel_h, n.stride_h, n.pad_h);
        int64_t w = PoolOut(in[2], n.kernel_w, n.stride_w, n.pad_w);
        if (h < 1 || w < 1) return NodeError(n, "pool window larger than its input");
        n.out_shape = {in[0], h, w};
        break;
      }
      case Op::kGlobalAvgPool:
        if (in.size() != 3) return NodeError(n, "expects a C,H,W input");
        n.out_shape = {in[0], 1, 1};
        break;
      case Op::kFlatten: {
        int64_t f = 1;
        for (int64_t d : in) f *= d;
        n.out_shape = {f};
        break;
      }
      case Op::kAdd: {
        for (int other : n.inputs) {
          if (graph.nodes[other].out_shape != in) return NodeError(n, "inputs have different shapes");
        }
        n.out_shape = in;
        break;
      }
      case Op::kBatchNorm:
        if (in.empty()) return NodeError(n, "expects a channel dimension");
        if (in[0] != n.out_channels) {
          return NodeError(n, absl::StrCat("has ", n.out_channels, " channels, input has ", in[0]));
        }
        n.out_shape = in;
        break;
      default:  // element-wise
        n.out_shape = in;
    }
  }
  return absl::OkStatus();
}

int64_t LayerMacs(const Graph& graph, int layer) {
  const Node& n = graph.nodes[layer];
  if (n.op == Op::kLinear) return n.in_channels * n.out_channels;
  const auto& o = n.out_shape;
  return o[1] * o[2] * n.out_channels * (n.in_channels / n.groups) * n.kernel_h * n.kernel_w;
}

std::pair<int64_t, int64_t> LayerInputHW(const Graph& graph, int layer) {
  const Node& n = graph.nodes[layer];
  if (n.op == Op::kLinear) return {1, 1};
  const auto& in = graph.nodes[n.inputs[0]].out_shape;
  return {in[1], in[2]};
}

Graph FoldedStructure(const Graph& graph) {
  Graph g = graph;
  for (Node& n : g.nodes) {
    if (n.op != Op::kBatchNorm) continue;
    int producer = n.inputs[0];
    if (g.nodes[producer].op == Op::kConv && g.Consumers(producer).size() == 1) {
      n.op = Op::kIdentity;
      g.nodes[producer].bias = true;  // the folded shift lives in the conv's bias
    }
  }
  return g;
}

}  // namespace bitsearch
