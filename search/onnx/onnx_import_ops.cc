// The translation of each supported ONNX operator into Graph nodes and pretrained values.
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

absl::Status Importer::ImportNode(const onnx::NodeProto& node) {
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

absl::Status Importer::ImportConstant(const onnx::NodeProto& node) {
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

absl::Status Importer::ImportConv(const onnx::NodeProto& node) {
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

absl::StatusOr<std::vector<int64_t>> Importer::ShapeOf(int graph_node) {
  absl::Status st = Shapes();
  if (!st.ok()) return st;
  return graph_.nodes[graph_node].out_shape;
}

absl::Status Importer::AddLinear(const onnx::NodeProto& node, int x, const torch::Tensor& w,
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

absl::Status Importer::ImportGemm(const onnx::NodeProto& node) {
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

absl::Status Importer::ImportMatMul(const onnx::NodeProto& node) {
  auto x = TensorInput(node, 0);
  if (!x.ok()) return x.status();
  auto bm = ConstInput(node, 1, true);
  if (!bm.ok()) return bm.status();
  if (bm->dim() != 2) return Error(node, absl::StrCat("weight '", node.input(1), "' must be 2-D, has shape ", ShapeString(*bm)));
  absl::Status st = AddLinear(node, *x, bm->t().contiguous(), torch::Tensor());
  if (st.ok()) matmul_out_[node.output(0)] = values_[node.output(0)].node;
  return st;
}

absl::Status Importer::ImportAdd(const onnx::NodeProto& node) {
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

absl::Status Importer::ImportBatchNorm(const onnx::NodeProto& node) {
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

absl::Status Importer::ImportClip(const onnx::NodeProto& node) {
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

absl::Status Importer::ImportPool(const onnx::NodeProto& node) {
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

absl::Status Importer::ImportReshape(const onnx::NodeProto& node) {
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

}  // namespace bitsearch::onnx_import_internal
