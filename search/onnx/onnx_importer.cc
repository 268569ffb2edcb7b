#include "search/onnx/onnx_importer.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "search/network.h"
#include "search/onnx/onnx_tensor.h"

namespace bitsearch::onnx_import_internal {

const std::set<std::string>& SupportedOps() {
  static const auto* ops = new std::set<std::string>{
      "Conv",    "Gemm",        "MatMul",   "BatchNormalization", "Relu",
      "Clip",    "MaxPool",     "AveragePool", "GlobalAveragePool", "Flatten",
      "Reshape", "Add",         "Identity", "Dropout",            "Constant"};
  return *ops;
}

absl::StatusOr<ImportedModel> Importer::Run() {
  absl::Status st = CheckOpset();
  if (st.ok()) st = CheckOperators();
  if (st.ok()) st = ReadInitializers();
  if (st.ok()) st = ReadInput();
  if (st.ok()) st = TopologicalOrder();
  if (!st.ok()) return st;
  for (int k : order_) {
    st = ImportNode(graph_proto_.node(k));
    if (!st.ok()) return st;
  }
  st = Finish();
  if (!st.ok()) return st;
  return std::move(out_);
}

absl::Status Importer::CheckOpset() {
  int64_t opset = -1;
  for (const auto& o : model_.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  }
  if (opset < 0) return absl::InvalidArgumentError("the ONNX model imports no default-domain opset");
  if (opset < kMinOpset || opset > kMaxOpset) {
    return absl::InvalidArgumentError(absl::StrCat("the ONNX model uses opset ", opset,
                                                   "; bitsearch reads opsets ", kMinOpset, " to ",
                                                   kMaxOpset, " (re-export with opset_version=13)"));
  }
  out_.opset = opset;
  return absl::OkStatus();
}

// Refuses the whole model, listing every unsupported op type with its nodes.
absl::Status Importer::CheckOperators() {
  std::map<std::string, std::vector<std::string>> bad;
  for (int k = 0; k < graph_proto_.node_size(); ++k) {
    const auto& node = graph_proto_.node(k);
    std::string type = node.op_type();
    bool default_domain = node.domain().empty() || node.domain() == "ai.onnx";
    if (!default_domain) type = node.domain() + "." + type;
    if (!default_domain || !SupportedOps().count(node.op_type())) {
      bad[type].push_back(node.name().empty() ? absl::StrCat("#", k) : node.name());
    }
  }
  if (bad.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const auto& [type, nodes] : bad) {
    parts.push_back(absl::StrCat(type, " (node", nodes.size() > 1 ? "s" : "", " ",
                                 absl::StrJoin(nodes, ", "), ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported ONNX operators, nothing was imported: ", absl::StrJoin(parts, "; "),
      ". Supported: ", absl::StrJoin(SupportedOps(), ", ")));
}

absl::Status Importer::ReadInitializers() {
  for (const auto& t : graph_proto_.initializer()) {
    auto v = TensorFromProto(t);
    if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat("initializer: ", v.status().message()));
    values_[t.name()] = Value{-1, *v};
  }
  return absl::OkStatus();
}

absl::Status Importer::ReadInput() {
  const onnx::ValueInfoProto* input = nullptr;
  int count = 0;
  for (const auto& in : graph_proto_.input()) {
    if (values_.count(in.name())) continue;  // old exports list initializers as inputs too
    input = &in;
    ++count;
  }
  if (count != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ONNX graph has ", count, " data inputs; bitsearch needs exactly one image input"));
  }
  out_.input_name = input->name();
  const auto& type = input->type();
  if (!type.has_tensor_type() || type.tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
    return absl::InvalidArgumentError(
        absl::StrCat("graph input '", input->name(), "' must be a float tensor"));
  }
  const auto& shape = type.tensor_type().shape();
  if (shape.dim_size() != 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "graph input '", input->name(), "' has ", shape.dim_size(),
        " dimensions; bitsearch imports image models with an [N, C, H, W] input"));
  }
  std::vector<int64_t> chw;
  for (int d = 1; d < 4; ++d) {
    const auto& dim = shape.dim(d);
    if (dim.has_dim_value() && dim.dim_value() > 0) {
      chw.push_back(dim.dim_value());
    } else if (options_.input_shape.size() == 3) {
      chw.push_back(options_.input_shape[d - 1]);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "graph input '", input->name(), "': dimension ", d, " is symbolic ('", dim.dim_param(),
          "'); only the batch dimension may be (or give the input shape)"));
    }
  }
  if (options_.input_shape.size() == 3) chw = options_.input_shape;
  out_.input_shape = chw;
  Node in;
  in.op = Op::kInput;
  in.name = "input";
  names_.insert(ModuleName(in.name));
  values_[input->name()] = Value{graph_.Add(in), {}};
  return absl::OkStatus();
}

std::string Importer::Describe(const onnx::NodeProto& node, int k) {
  return absl::StrCat("node '", node.name().empty() ? absl::StrCat("#", k) : node.name(), "' (",
                      node.op_type(), ")");
}

// Kahn's algorithm over the tensor dependencies: finds missing producers and cycles.
absl::Status Importer::TopologicalOrder() {
  const int n = graph_proto_.node_size();
  std::map<std::string, int> producer;
  for (int k = 0; k < n; ++k) {
    for (const auto& o : graph_proto_.node(k).output()) {
      if (o.empty()) continue;
      if (producer.count(o) || values_.count(o)) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(graph_proto_.node(k), k), ": tensor '", o, "' is produced twice"));
      }
      producer[o] = k;
    }
  }
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> users(n);
  for (int k = 0; k < n; ++k) {
    for (const auto& i : graph_proto_.node(k).input()) {
      if (i.empty() || values_.count(i)) continue;
      auto it = producer.find(i);
      if (it == producer.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(graph_proto_.node(k), k), ": input '", i,
                         "' is produced by no node, initializer or graph input"));
      }
      ++pending[k];
      users[it->second].push_back(k);
    }
  }
  std::deque<int> ready;
  for (int k = 0; k < n; ++k) {
    if (pending[k] == 0) ready.push_back(k);
  }
  while (!ready.empty()) {
    int k = ready.front();
    ready.pop_front();
    order_.push_back(k);
    for (int u : users[k]) {
      if (--pending[u] == 0) ready.push_back(u);
    }
  }
  if (static_cast<int>(order_.size()) != n) {
    std::vector<std::string> stuck;
    for (int k = 0; k < n; ++k) {
      if (pending[k] > 0) stuck.push_back(Describe(graph_proto_.node(k), k));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "the ONNX graph has a cycle; these nodes wait on each other: ", absl::StrJoin(stuck, ", ")));
  }
  // Consumer counts, for fusing MatMul + Add.
  for (int k = 0; k < n; ++k) {
    for (const auto& i : graph_proto_.node(k).input()) ++uses_[i];
  }
  for (const auto& o : graph_proto_.output()) ++uses_[o.name()];
  return absl::OkStatus();
}

std::string Importer::NodeName(const onnx::NodeProto& node) {
  std::string base = node.name().empty() ? node.op_type() : node.name();
  std::string name = base;
  for (int k = 2; names_.count(ModuleName(name)); ++k) name = absl::StrCat(base, "_", k);
  names_.insert(ModuleName(name));
  return name;
}

absl::Status Importer::Error(const onnx::NodeProto& node, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("node '", node.name(), "' (", node.op_type(), "): ", what));
}

// The runtime tensor feeding input `i` of `node`.
absl::StatusOr<int> Importer::TensorInput(const onnx::NodeProto& node, int i) {
  if (i >= node.input_size() || node.input(i).empty()) return Error(node, absl::StrCat("input ", i, " is missing"));
  const Value& v = values_.at(node.input(i));
  if (v.node < 0) {
    return Error(node, absl::StrCat("input '", node.input(i),
                                    "' is a constant; bitsearch expects a computed tensor there"));
  }
  return v.node;
}

// The constant feeding input `i`, or an undefined tensor when the optional input is absent.
absl::StatusOr<torch::Tensor> Importer::ConstInput(const onnx::NodeProto& node, int i, bool required) {
  if (i >= node.input_size() || node.input(i).empty()) {
    if (required) return Error(node, absl::StrCat("input ", i, " is missing"));
    return torch::Tensor();
  }
  const Value& v = values_.at(node.input(i));
  if (!v.constant.defined()) {
    return Error(node, absl::StrCat("input '", node.input(i),
                                    "' must be an initializer or a Constant (weights and bounds "
                                    "computed at run time are not supported)"));
  }
  return v.constant;
}

absl::Status Importer::ExpectShape(const onnx::NodeProto& node, const std::string& what,
                                   const torch::Tensor& t, const std::vector<int64_t>& dims) {
  if (t.sizes().vec() == dims) return absl::OkStatus();
  return Error(node, absl::StrCat(what, " has shape ", ShapeString(t), ", expected ",
                                  ShapeString(dims)));
}

void Importer::SetOutput(const onnx::NodeProto& node, int graph_node) {
  if (node.output_size() > 0) values_[node.output(0)] = Value{graph_node, {}};
}

absl::Status Importer::RequireUnused(const onnx::NodeProto& node, int from) {
  for (int o = from; o < node.output_size(); ++o) {
    if (!node.output(o).empty() && uses_[node.output(o)] > 0) {
      return Error(node, absl::StrCat("its output ", o, " ('", node.output(o),
                                      "') is used; only the first output is supported"));
    }
  }
  return absl::OkStatus();
}

// Spatial window attributes shared by Conv and the pools: kernel, strides, symmetric pads.
absl::Status Importer::Window(const onnx::NodeProto& node, int input, Node* n) {
  auto strides = IntsAttr(node, "strides", {1, 1});
  auto pads = IntsAttr(node, "pads", {0, 0, 0, 0});
  if (strides.size() != 2 || pads.size() != 4) {
    return Error(node, "only 2-D windows are supported (strides of 2, pads of 4 values)");
  }
  n->stride_h = strides[0];
  n->stride_w = strides[1];
  std::string auto_pad = StringAttr(node, "auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    absl::Status st = Shapes();
    if (!st.ok()) return st;
    const auto& in = graph_.nodes[input].out_shape;
    int64_t span_h = n->dilation_h * (n->kernel_h - 1) + 1, span_w = n->dilation_w * (n->kernel_w - 1) + 1;
    int64_t oh = (in[1] + n->stride_h - 1) / n->stride_h, ow = (in[2] + n->stride_w - 1) / n->stride_w;
    int64_t th = std::max<int64_t>(0, (oh - 1) * n->stride_h + span_h - in[1]);
    int64_t tw = std::max<int64_t>(0, (ow - 1) * n->stride_w + span_w - in[2]);
    pads = {th / 2, tw / 2, th - th / 2, tw - tw / 2};
  } else if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad != "NOTSET") {
    return Error(node, absl::StrCat("unknown auto_pad '", auto_pad, "'"));
  }
  if (pads[0] != pads[2] || pads[1] != pads[3]) {
    return Error(node, absl::StrCat("asymmetric pads ", ShapeString(pads),
                                    " are not supported (begin and end must match)"));
  }
  n->pad_h = pads[0];
  n->pad_w = pads[1];
  return absl::OkStatus();
}

// Runs shape inference on the graph built so far (for auto_pad and Reshape).
absl::Status Importer::Shapes() {
  graph_.output = static_cast<int>(graph_.nodes.size()) - 1;
  return InferShapes(graph_, out_.input_shape);
}

void Importer::Param(const std::string& node_name, const std::string& what, const torch::Tensor& t) {
  out_.parameters[ModuleName(node_name) + "_" + what] = t.to(torch::kFloat).contiguous().clone();
}

absl::Status Importer::Finish() {
  if (graph_proto_.output_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("the ONNX graph has ", graph_proto_.output_size(),
                                                   " outputs; bitsearch needs one (the logits)"));
  }
  out_.output_name = graph_proto_.output(0).name();
  auto it = values_.find(out_.output_name);
  if (it == values_.end() || it->second.node <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("graph output '", out_.output_name, "' is not computed from the input"));
  }
  graph_.output = it->second.node;
  absl::Status st = InferShapes(graph_, out_.input_shape);
  if (!st.ok()) return st;
  const auto& logits = graph_.nodes[graph_.output].out_shape;
  if (logits.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("graph output '", out_.output_name, "' has shape [N, ",
                                                   absl::StrJoin(logits, ", "),
                                                   "]; bitsearch needs [N, classes] logits"));
  }
  out_.classes = logits[0];
  out_.graph = std::move(graph_);
  return absl::OkStatus();
}

}  // namespace bitsearch::onnx_import_internal
