#include "search/onnx/onnx_import.h"

#include <cmath>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "onnx/onnx_pb.h"
#include "search/onnx/onnx_tensor.h"

namespace bitsearch {
namespace {

constexpr int64_t kMinOpset = 11;
constexpr int64_t kMaxOpset = 17;

const std::set<std::string>& SupportedOps() {
  static const auto* ops = new std::set<std::string>{
      "Conv",    "Gemm",        "MatMul",   "BatchNormalization", "Relu",
      "Clip",    "MaxPool",     "AveragePool", "GlobalAveragePool", "Flatten",
      "Reshape", "Add",         "Identity", "Dropout",            "Constant"};
  return *ops;
}

// Walks the top-level fields of a ModelProto without parsing them, to tell a truncated file
// (a field runs past the end) from bytes that are no protobuf message at all.
absl::Status ScanTopLevel(const std::string& bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= n) return false;
      uint8_t b = p[i++];
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  const auto truncated = absl::InvalidArgumentError(
      absl::StrCat("the ONNX file is truncated: a field runs past its end at byte ", n,
                   " (copy it again, or re-export it)"));
  const auto not_onnx = absl::InvalidArgumentError(
      "not an ONNX model: the bytes are not a serialized onnx.ModelProto");
  if (n == 0) return absl::InvalidArgumentError("not an ONNX model: the file is empty");
  int fields = 0;
  while (i < n) {
    uint64_t tag;
    if (!varint(&tag)) return fields > 0 ? truncated : not_onnx;
    uint64_t field = tag >> 3;
    int wire = static_cast<int>(tag & 7);
    // ModelProto's fields are numbered 1..20 and none is a group.
    if (field == 0 || field > 64 || wire == 3 || wire == 4 || wire > 5) return not_onnx;
    uint64_t v;
    switch (wire) {
      case 0:
        if (!varint(&v)) return truncated;
        break;
      case 1:
        if (n - i < 8) return truncated;
        i += 8;
        break;
      case 2:
        if (!varint(&v)) return truncated;
        if (v > n - i) return truncated;
        i += v;
        break;
      case 5:
        if (n - i < 4) return truncated;
        i += 4;
        break;
    }
    ++fields;
  }
  return absl::OkStatus();
}

const onnx::AttributeProto* FindAttr(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t IntAttr(const onnx::NodeProto& node, const std::string& name, int64_t dflt) {
  const auto* a = FindAttr(node, name);
  return a ? a->i() : dflt;
}

double FloatAttr(const onnx::NodeProto& node, const std::string& name, double dflt) {
  const auto* a = FindAttr(node, name);
  return a ? a->f() : dflt;
}

std::vector<int64_t> IntsAttr(const onnx::NodeProto& node, const std::string& name,
                              std::vector<int64_t> dflt) {
  const auto* a = FindAttr(node, name);
  if (!a) return dflt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::string StringAttr(const onnx::NodeProto& node, const std::string& name,
                       const std::string& dflt) {
  const auto* a = FindAttr(node, name);
  return a ? a->s() : dflt;
}

// A value flowing through the ONNX graph: a tensor computed by a Graph node, or a constant.
struct Value {
  int node = -1;           // Graph node index when a runtime tensor
  torch::Tensor constant;  // defined when a constant (initializer or Constant output)
};

class Importer {
 public:
  Importer(const onnx::ModelProto& model, const OnnxImportOptions& options)
      : model_(model), graph_proto_(model.graph()), options_(options) {}

  absl::StatusOr<ImportedModel> Run() {
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

 private:
  absl::Status CheckOpset() {
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
  absl::Status CheckOperators() {
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

  absl::Status ReadInitializers() {
    for (const auto& t : graph_proto_.initializer()) {
      auto v = TensorFromProto(t);
      if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat("initializer: ", v.status().message()));
      values_[t.name()] = Value{-1, *v};
    }
    return absl::OkStatus();
  }

  absl::Status ReadInput() {
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

  static std::string Describe(const onnx::NodeProto& node, int k) {
    return absl::StrCat("node '", node.name().empty() ? absl::StrCat("#", k) : node.name(), "' (",
                        node.op_type(), ")");
  }

  // Kahn's algorithm over the tensor dependencies: finds missing producers and cycles.
  absl::Status TopologicalOrder() {
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

  std::string NodeName(const onnx::NodeProto& node) {
    std::string base = node.name().empty() ? node.op_type() : node.name();
    std::string name = base;
    for (int k = 2; names_.count(ModuleName(name)); ++k) name = absl::StrCat(base, "_", k);
    names_.insert(ModuleName(name));
    return name;
  }

  absl::Status Error(const onnx::NodeProto& node, const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("node '", node.name(), "' (", node.op_type(), "): ", what));
  }

  // The runtime tensor feeding input `i` of `node`.
  absl::StatusOr<int> TensorInput(const onnx::NodeProto& node, int i) {
    if (i >= node.input_size() || node.input(i).empty()) return Error(node, absl::StrCat("input ", i, " is missing"));
    const Value& v = values_.at(node.input(i));
    if (v.node < 0) {
      return Error(node, absl::StrCat("input '", node.input(i),
                                      "' is a constant; bitsearch expects a computed tensor there"));
    }
    return v.node;
  }

  // The constant feeding input `i`, or an undefined tensor when the optional input is absent.
  absl::StatusOr<torch::Tensor> ConstInput(const onnx::NodeProto& node, int i, bool required) {
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

  absl::Status ExpectShape(const onnx::NodeProto& node, const std::string& what,
                           const torch::Tensor& t, const std::vector<int64_t>& dims) {
    if (t.sizes().vec() == dims) return absl::OkStatus();
    return Error(node, absl::StrCat(what, " has shape ", ShapeString(t), ", expected ",
                                    ShapeString(dims)));
  }

  void SetOutput(const onnx::NodeProto& node, int graph_node) {
    if (node.output_size() > 0) values_[node.output(0)] = Value{graph_node, {}};
  }

  absl::Status RequireUnused(const onnx::NodeProto& node, int from) {
    for (int o = from; o < node.output_size(); ++o) {
      if (!node.output(o).empty() && uses_[node.output(o)] > 0) {
        return Error(node, absl::StrCat("its output ", o, " ('", node.output(o),
                                        "') is used; only the first output is supported"));
      }
    }
    return absl::OkStatus();
  }

  // Spatial window attributes shared by Conv and the pools: kernel, strides, symmetric pads.
  absl::Status Window(const onnx::NodeProto& node, int input, Node* n) {
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
  absl::Status Shapes() {
    graph_.output = static_cast<int>(graph_.nodes.size()) - 1;
    return InferShapes(graph_, out_.input_shape);
  }

  absl::Status ImportNode(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    if (op == "Constant") return ImportConstant(node);
    if (op == "Identity" || op == "Dropout") {
      absl::Status st = RequireUnused(node, 1);
      if (!st.ok()) return st;
      if (node.input_size() < 1) return Error(node, "has no input");
      values_[node.output(0)] = values_.at(node.input(0));
      return absl::OkStatus();
    }
    if (op == "Conv") return ImportConv(node);
    if (op == "Gemm") return ImportGemm(node);
    if (op == "MatMul") return ImportMatMul(node);
    if (op == "Add") return ImportAdd(node);
    if (op == "BatchNormalization") return ImportBatchNorm(node);
    if (op == "Clip") return ImportClip(node);
    if (op == "MaxPool" || op == "AveragePool") return ImportPool(node);
    if (op == "Reshape") return ImportReshape(node);
    Node n;
    if (op == "Relu") {
      n.op = Op::kReLU;
    } else if (op == "GlobalAveragePool") {
      n.op = Op::kGlobalAvgPool;
    } else if (op == "Flatten") {
      if (IntAttr(node, "axis", 1) != 1) return Error(node, "only axis 1 (keep the batch) is supported");
      n.op = Op::kFlatten;
    } else {
      return Error(node, "unsupported operator");  // CheckOperators refused it already
    }
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    n.name = NodeName(node);
    n.inputs = {*x};
    SetOutput(node, graph_.Add(n));
    return absl::OkStatus();
  }

  absl::Status ImportConstant(const onnx::NodeProto& node) {
    torch::Tensor t;
    if (const auto* a = FindAttr(node, "value")) {
      auto v = TensorFromProto(a->t());
      if (!v.ok()) return Error(node, std::string(v.status().message()));
      t = *v;
    } else if (const auto* a = FindAttr(node, "value_float")) {
      t = torch::tensor(a->f());
    } else if (const auto* a = FindAttr(node, "value_floats")) {
      t = torch::tensor(std::vector<float>(a->floats().begin(), a->floats().end()));
    } else if (const auto* a = FindAttr(node, "value_int")) {
      t = torch::tensor(a->i(), torch::kLong);
    } else if (const auto* a = FindAttr(node, "value_ints")) {
      t = torch::tensor(std::vector<int64_t>(a->ints().begin(), a->ints().end()), torch::kLong);
    } else {
      return Error(node, "only value, value_float(s) and value_int(s) constants are supported");
    }
    values_[node.output(0)] = Value{-1, t};
    return absl::OkStatus();
  }

  absl::Status ImportConv(const onnx::NodeProto& node) {
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    auto w = ConstInput(node, 1, true);
    if (!w.ok()) return w.status();
    auto b = ConstInput(node, 2, false);
    if (!b.ok()) return b.status();
    if (w->dim() != 4) {
      return Error(node, absl::StrCat("weight '", node.input(1), "' has shape ", ShapeString(*w),
                                      "; only 2-D convolutions (4-D weights) are supported"));
    }
    Node n;
    n.op = Op::kConv;
    n.groups = IntAttr(node, "group", 1);
    n.out_channels = w->size(0);
    n.in_channels = w->size(1) * n.groups;
    n.kernel_h = w->size(2);
    n.kernel_w = w->size(3);
    auto kernel = IntsAttr(node, "kernel_shape", {n.kernel_h, n.kernel_w});
    if (kernel != std::vector<int64_t>{n.kernel_h, n.kernel_w}) {
      return Error(node, absl::StrCat("kernel_shape ", ShapeString(kernel), " does not match weight '",
                                      node.input(1), "' of shape ", ShapeString(*w)));
    }
    auto dil = IntsAttr(node, "dilations", {1, 1});
    if (dil.size() != 2) return Error(node, "dilations must have 2 values");
    n.dilation_h = dil[0];
    n.dilation_w = dil[1];
    absl::Status st = Window(node, *x, &n);
    if (!st.ok()) return st;
    if (n.groups < 1 || n.out_channels % n.groups) {
      return Error(node, absl::StrCat("group ", n.groups, " does not divide the ", n.out_channels,
                                      " output channels of weight '", node.input(1), "'"));
    }
    const auto& in_shape = ShapeOf(*x);
    if (!in_shape.ok()) return in_shape.status();
    if (!in_shape->empty() && (*in_shape)[0] != n.in_channels) {
      return Error(node, absl::StrCat("weight '", node.input(1), "' has shape ", ShapeString(*w),
                                      " (", n.in_channels, " input channels with group ", n.groups,
                                      ") but its input has ", (*in_shape)[0], " channels"));
    }
    n.bias = b->defined();
    if (n.bias) {
      st = ExpectShape(node, absl::StrCat("bias '", node.input(2), "'"), *b, {n.out_channels});
      if (!st.ok()) return st;
    }
    n.name = NodeName(node);
    n.inputs = {*x};
    Param(n.name, "weight", *w);
    if (n.bias) Param(n.name, "bias", *b);
    SetOutput(node, graph_.Add(n));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int64_t>> ShapeOf(int graph_node) {
    absl::Status st = Shapes();
    if (!st.ok()) return st;
    return graph_.nodes[graph_node].out_shape;
  }

  absl::Status AddLinear(const onnx::NodeProto& node, int x, const torch::Tensor& w,
                         const torch::Tensor& b) {
    Node n;
    n.op = Op::kLinear;
    n.out_channels = w.size(0);
    n.in_channels = w.size(1);
    auto in_shape = ShapeOf(x);
    if (!in_shape.ok()) return in_shape.status();
    if (in_shape->size() != 1) {
      return Error(node, absl::StrCat("its input has shape [N, ", absl::StrJoin(*in_shape, ", "),
                                      "]; a Flatten or Reshape to 2-D must come first"));
    }
    if ((*in_shape)[0] != n.in_channels) {
      return Error(node, absl::StrCat("weight '", node.input(1), "' expects ", n.in_channels,
                                      " input features, its input has ", (*in_shape)[0]));
    }
    n.bias = b.defined();
    n.name = NodeName(node);
    n.inputs = {x};
    Param(n.name, "weight", w.contiguous());
    if (n.bias) Param(n.name, "bias", b);
    SetOutput(node, graph_.Add(n));
    return absl::OkStatus();
  }

  absl::Status ImportGemm(const onnx::NodeProto& node) {
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    auto bm = ConstInput(node, 1, true);
    if (!bm.ok()) return bm.status();
    auto c = ConstInput(node, 2, false);
    if (!c.ok()) return c.status();
    if (IntAttr(node, "transA", 0) != 0) return Error(node, "transA=1 is not supported");
    if (bm->dim() != 2) return Error(node, absl::StrCat("weight '", node.input(1), "' must be 2-D, has shape ", ShapeString(*bm)));
    torch::Tensor w = IntAttr(node, "transB", 0) ? *bm : bm->t();
    w = w * static_cast<float>(FloatAttr(node, "alpha", 1.0));
    torch::Tensor b;
    if (c->defined()) {
      const int64_t out = w.size(0);
      if (c->numel() == out && (c->dim() == 1 || (c->dim() == 2 && c->size(0) == 1))) {
        b = c->reshape({out});
      } else if (c->numel() == 1) {
        b = c->reshape({1}).expand({out}).contiguous();
      } else {
        return Error(node, absl::StrCat("bias '", node.input(2), "' has shape ", ShapeString(*c),
                                        ", expected [", out, "]"));
      }
      b = b * static_cast<float>(FloatAttr(node, "beta", 1.0));
    }
    return AddLinear(node, *x, w, b);
  }

  absl::Status ImportMatMul(const onnx::NodeProto& node) {
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    auto bm = ConstInput(node, 1, true);
    if (!bm.ok()) return bm.status();
    if (bm->dim() != 2) return Error(node, absl::StrCat("weight '", node.input(1), "' must be 2-D, has shape ", ShapeString(*bm)));
    absl::Status st = AddLinear(node, *x, bm->t().contiguous(), torch::Tensor());
    if (st.ok()) matmul_out_[node.output(0)] = values_[node.output(0)].node;
    return st;
  }

  absl::Status ImportAdd(const onnx::NodeProto& node) {
    if (node.input_size() != 2) return Error(node, "expects two inputs");
    const Value& a = values_.at(node.input(0));
    const Value& b = values_.at(node.input(1));
    if (a.node >= 0 && b.node >= 0) {
      Node n;
      n.op = Op::kAdd;
      n.name = NodeName(node);
      n.inputs = {a.node, b.node};
      SetOutput(node, graph_.Add(n));
      return absl::OkStatus();
    }
    // A constant operand: the bias of the MatMul feeding the other operand.
    const std::string& tensor_name = a.node >= 0 ? node.input(0) : node.input(1);
    const Value& tensor = a.node >= 0 ? a : b;
    const torch::Tensor& bias = a.node >= 0 ? b.constant : a.constant;
    auto mm = matmul_out_.find(tensor_name);
    if (tensor.node < 0 || mm == matmul_out_.end() || uses_[tensor_name] != 1) {
      return Error(node, "adding a constant is supported only as the bias of a MatMul");
    }
    Node& linear = graph_.nodes[mm->second];
    absl::Status st = ExpectShape(node, "bias", bias.numel() == linear.out_channels ? bias.reshape({-1}) : bias,
                                  {linear.out_channels});
    if (!st.ok()) return st;
    linear.bias = true;
    Param(linear.name, "bias", bias.reshape({-1}));
    SetOutput(node, mm->second);
    return absl::OkStatus();
  }

  absl::Status ImportBatchNorm(const onnx::NodeProto& node) {
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    if (IntAttr(node, "training_mode", 0) != 0) return Error(node, "training_mode=1 is not supported");
    absl::Status st = RequireUnused(node, 1);
    if (!st.ok()) return st;
    torch::Tensor p[4];
    const char* names[4] = {"gamma", "beta", "running_mean", "running_var"};
    for (int i = 0; i < 4; ++i) {
      auto t = ConstInput(node, i + 1, true);
      if (!t.ok()) return t.status();
      p[i] = *t;
    }
    auto in_shape = ShapeOf(*x);
    if (!in_shape.ok()) return in_shape.status();
    if (in_shape->empty()) return Error(node, "its input has no channel dimension");
    const int64_t channels = (*in_shape)[0];
    for (int i = 0; i < 4; ++i) {
      st = ExpectShape(node, absl::StrCat(names[i], " '", node.input(i + 1), "'"), p[i], {channels});
      if (!st.ok()) return st;
    }
    Node n;
    n.op = Op::kBatchNorm;
    n.out_channels = channels;
    n.bn_eps = FloatAttr(node, "epsilon", 1e-5);
    n.name = NodeName(node);
    n.inputs = {*x};
    for (int i = 0; i < 4; ++i) Param(n.name, names[i], p[i]);
    SetOutput(node, graph_.Add(n));
    return absl::OkStatus();
  }

  absl::Status ImportClip(const onnx::NodeProto& node) {
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    if (FindAttr(node, "min") || FindAttr(node, "max")) {  // opset < 11 form
      lo = FloatAttr(node, "min", lo);
      hi = FloatAttr(node, "max", hi);
    }
    for (int i = 1; i <= 2; ++i) {
      auto t = ConstInput(node, i, false);
      if (!t.ok()) return t.status();
      if (!t->defined()) continue;
      if (t->numel() != 1) return Error(node, absl::StrCat("bound '", node.input(i), "' must be a scalar"));
      (i == 1 ? lo : hi) = t->to(torch::kDouble).item<double>();
    }
    if (lo > hi) return Error(node, absl::StrCat("min ", lo, " is above max ", hi));
    Node n;
    n.name = NodeName(node);
    n.inputs = {*x};
    if (lo == 0 && std::isinf(hi)) {
      n.op = Op::kReLU;
    } else {
      n.op = Op::kClip;
      n.clip_min = lo;
      n.clip_max = hi;
    }
    SetOutput(node, graph_.Add(n));
    return absl::OkStatus();
  }

  absl::Status ImportPool(const onnx::NodeProto& node) {
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    absl::Status st = RequireUnused(node, 1);
    if (!st.ok()) return st;
    const bool max = node.op_type() == "MaxPool";
    Node n;
    n.op = max ? Op::kMaxPool : Op::kAvgPool;
    auto kernel = IntsAttr(node, "kernel_shape", {});
    if (kernel.size() != 2) return Error(node, "kernel_shape must have 2 values");
    n.kernel_h = kernel[0];
    n.kernel_w = kernel[1];
    if (IntsAttr(node, "dilations", {1, 1}) != std::vector<int64_t>{1, 1}) {
      return Error(node, "dilated pooling is not supported");
    }
    st = Window(node, *x, &n);
    if (!st.ok()) return st;
    if (!max && IntAttr(node, "count_include_pad", 0) != 0 && (n.pad_h || n.pad_w)) {
      return Error(node, "count_include_pad=1 with padding is not supported");
    }
    auto in_shape = ShapeOf(*x);
    if (!in_shape.ok()) return in_shape.status();
    if (IntAttr(node, "ceil_mode", 0) != 0 && in_shape->size() == 3) {
      // ceil_mode only matters when it changes the output size.
      auto differs = [](int64_t in, int64_t k, int64_t s, int64_t p) {
        return (in + 2 * p - k) % s != 0;
      };
      if (differs((*in_shape)[1], n.kernel_h, n.stride_h, n.pad_h) ||
          differs((*in_shape)[2], n.kernel_w, n.stride_w, n.pad_w)) {
        return Error(node, "ceil_mode=1 that changes the output size is not supported");
      }
    }
    n.name = NodeName(node);
    n.inputs = {*x};
    SetOutput(node, graph_.Add(n));
    return absl::OkStatus();
  }

  absl::Status ImportReshape(const onnx::NodeProto& node) {
    auto x = TensorInput(node, 0);
    if (!x.ok()) return x.status();
    auto shape = ConstInput(node, 1, true);
    if (!shape.ok()) return shape.status();
    auto in_shape = ShapeOf(*x);
    if (!in_shape.ok()) return in_shape.status();
    int64_t features = 1;
    for (int64_t d : *in_shape) features *= d;
    auto s = shape->to(torch::kLong).contiguous();
    std::vector<int64_t> dims(s.data_ptr<int64_t>(), s.data_ptr<int64_t>() + s.numel());
    bool flat = dims.size() == 2 && (dims[1] == -1 || dims[1] == features) &&
                (dims[0] == 0 || dims[0] == -1 || dims[0] > 0);
    if (!flat || (dims[0] == -1 && dims[1] == -1)) {
      return Error(node, absl::StrCat("reshape to ", ShapeString(dims), " is not supported; only to [batch, ",
                                      features, "] (a flatten)"));
    }
    Node n;
    n.op = Op::kFlatten;
    n.name = NodeName(node);
    n.inputs = {*x};
    SetOutput(node, graph_.Add(n));
    return absl::OkStatus();
  }

  void Param(const std::string& node_name, const std::string& what, const torch::Tensor& t) {
    out_.parameters[ModuleName(node_name) + "_" + what] = t.to(torch::kFloat).contiguous().clone();
  }

  absl::Status Finish() {
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

}  // namespace

absl::StatusOr<ImportedModel> ImportOnnxBytes(const std::string& bytes, const OnnxImportOptions& options) {
  absl::Status st = ScanTopLevel(bytes);
  if (!st.ok()) return st;
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        "not an ONNX model, or a damaged one: the bytes do not parse as onnx.ModelProto");
  }
  if (model.ir_version() <= 0 || !model.has_graph()) {
    return absl::InvalidArgumentError("not an ONNX model: no IR version or no graph");
  }
  try {
    return Importer(model, options).Run();
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("ONNX import: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("ONNX import: ", e.what()));
  }
}

absl::StatusOr<ImportedModel> ImportOnnxFile(const std::string& path, const OnnxImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ONNX file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto model = ImportOnnxBytes(ss.str(), options);
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat(path, ": ", model.status().message()));
  }
  return model;
}

absl::Status LoadImportedWeights(const ImportedModel& model, NetworkImpl& net) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  auto load = [&](const std::string& name, torch::Tensor& target) -> absl::Status {
    auto it = model.parameters.find(name);
    if (it == model.parameters.end()) return absl::OkStatus();
    if (it->second.sizes() != target.sizes()) {
      return absl::InvalidArgumentError(absl::StrCat("imported ", name, " has shape ",
                                                     ShapeString(it->second), ", the network ",
                                                     ShapeString(target)));
    }
    target.copy_(it->second);
    used.insert(name);
    return absl::OkStatus();
  };
  for (auto& p : net.named_parameters(/*recurse=*/false)) {
    absl::Status st = load(p.key(), p.value());
    if (!st.ok()) return st;
  }
  for (auto& b : net.named_buffers(/*recurse=*/false)) {
    absl::Status st = load(b.key(), b.value());
    if (!st.ok()) return st;
  }
  for (const auto& [name, t] : model.parameters) {
    if (!used.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("imported ", name, " has no place in the network"));
    }
  }
  for (int l : net.graph().Layers()) {
    if (!used.count(ModuleName(net.graph().nodes[l].name) + "_weight")) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer ", net.graph().nodes[l].name, " got no imported weight"));
    }
  }
  return absl::OkStatus();
}

}  // namespace bitsearch
