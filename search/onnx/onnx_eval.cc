#include "search/onnx/onnx_eval.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "onnx/onnx_pb.h"
#include "search/onnx/onnx_tensor.h"

namespace bitsearch {
namespace {

class Evaluator {
 public:
  absl::StatusOr<torch::Tensor> Run(const onnx::ModelProto& model, const torch::Tensor& input) {
    const auto& g = model.graph();
    for (const auto& t : g.initializer()) {
      auto v = TensorFromProto(t);
      if (!v.ok()) return v.status();
      values_[t.name()] = *v;
    }
    bool bound = false;
    for (const auto& in : g.input()) {
      if (values_.count(in.name())) continue;
      if (bound) return absl::InvalidArgumentError("onnx eval: more than one graph input");
      values_[in.name()] = input;
      bound = true;
    }
    for (const auto& node : g.node()) {  // the checker guarantees topological order
      absl::Status st = Step(node);
      if (!st.ok()) return st;
    }
    if (g.output_size() < 1 || !values_.count(g.output(0).name())) {
      return absl::InvalidArgumentError("onnx eval: the graph output was not computed");
    }
    return values_.at(g.output(0).name());
  }

 private:
  absl::Status Error(const onnx::NodeProto& n, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("onnx eval: node '", n.name(), "' (", n.op_type(), "): ", what));
  }
  torch::Tensor In(const onnx::NodeProto& n, int i) {
    if (i >= n.input_size() || n.input(i).empty()) return torch::Tensor();
    return values_.at(n.input(i));
  }

  absl::Status Step(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    for (const auto& i : n.input()) {
      if (!i.empty() && !values_.count(i)) return Error(n, absl::StrCat("input '", i, "' is not computed"));
    }
    torch::Tensor x = In(n, 0), y;
    if (op == "Constant") {
      const auto* a = FindAttr(n, "value");
      if (!a) return Error(n, "only tensor constants");
      auto v = TensorFromProto(a->t());
      if (!v.ok()) return v.status();
      y = *v;
    } else if (op == "Identity" || op == "Dropout") {
      y = x;
    } else if (op == "Conv") {
      auto pads = IntsAttr(n, "pads", {0, 0, 0, 0});
      if (pads[0] != pads[2] || pads[1] != pads[3]) return Error(n, "asymmetric pads");
      y = torch::conv2d(x, In(n, 1), In(n, 2), IntsAttr(n, "strides", {1, 1}), {pads[0], pads[1]},
                        IntsAttr(n, "dilations", {1, 1}), IntAttr(n, "group", 1));
    } else if (op == "Gemm") {
      torch::Tensor a = IntAttr(n, "transA", 0) ? x.t() : x;
      torch::Tensor b = IntAttr(n, "transB", 0) ? In(n, 1).t() : In(n, 1);
      y = FloatAttr(n, "alpha", 1.0f) * a.matmul(b);
      if (In(n, 2).defined()) y = y + FloatAttr(n, "beta", 1.0f) * In(n, 2);
    } else if (op == "MatMul") {
      y = x.matmul(In(n, 1));
    } else if (op == "Add") {
      y = x + In(n, 1);
    } else if (op == "Sub") {
      y = x - In(n, 1);
    } else if (op == "Mul") {
      y = x * In(n, 1);
    } else if (op == "Div") {
      y = x / In(n, 1);
    } else if (op == "Round") {
      y = torch::round(x);  // half to even, as ONNX specifies
    } else if (op == "Relu") {
      y = torch::relu(x);
    } else if (op == "Clip") {
      y = x;
      if (In(n, 1).defined()) y = torch::max(y, In(n, 1).to(y.scalar_type()));
      if (In(n, 2).defined()) y = torch::min(y, In(n, 2).to(y.scalar_type()));
    } else if (op == "MaxPool" || op == "AveragePool") {
      auto pads = IntsAttr(n, "pads", {0, 0, 0, 0});
      if (pads[0] != pads[2] || pads[1] != pads[3]) return Error(n, "asymmetric pads");
      if (IntAttr(n, "ceil_mode", 0)) return Error(n, "ceil_mode");
      auto k = IntsAttr(n, "kernel_shape", {});
      auto s = IntsAttr(n, "strides", {1, 1});
      if (op == "MaxPool") {
        y = torch::max_pool2d(x, k, s, {pads[0], pads[1]});
      } else {
        y = torch::avg_pool2d(x, k, s, {pads[0], pads[1]}, false, IntAttr(n, "count_include_pad", 0) != 0);
      }
    } else if (op == "GlobalAveragePool") {
      y = x.mean({2, 3}, true);
    } else if (op == "Flatten") {
      int64_t axis = IntAttr(n, "axis", 1);
      y = x.reshape({axis == 0 ? 1 : x.size(0), -1});
      if (axis != 1) return Error(n, "axis other than 1");
    } else if (op == "Reshape") {
      auto shape = In(n, 1).to(torch::kLong).contiguous();
      std::vector<int64_t> dims(shape.data_ptr<int64_t>(), shape.data_ptr<int64_t>() + shape.numel());
      for (size_t d = 0; d < dims.size(); ++d) {
        if (dims[d] == 0) dims[d] = x.size(static_cast<int64_t>(d));
      }
      y = x.reshape(dims);
    } else if (op == "BatchNormalization") {
      y = torch::batch_norm(x, In(n, 1), In(n, 2), In(n, 3), In(n, 4), false, 0.0, FloatAttr(n, "epsilon", 1e-5f), false);
    } else if (op == "QuantizeLinear") {
      torch::Tensor scale = In(n, 1), zp = In(n, 2);
      if (scale.numel() != 1) return Error(n, "per-axis scales are not in this evaluator");
      auto type = zp.defined() ? zp.scalar_type() : torch::kByte;
      double lo = type == torch::kChar ? -128 : 0, hi = type == torch::kChar ? 127 : 255;
      torch::Tensor q = torch::round(x / scale.to(torch::kFloat));
      if (zp.defined()) q = q + zp.to(torch::kFloat);
      y = q.clamp(lo, hi).to(type);
    } else if (op == "DequantizeLinear") {
      torch::Tensor scale = In(n, 1), zp = In(n, 2);
      torch::Tensor q = x.to(torch::kFloat);
      if (zp.defined()) q = q - zp.to(torch::kFloat);
      y = q * scale.to(torch::kFloat);
    } else {
      return Error(n, "operator not in the evaluator's subset");
    }
    values_[n.output(0)] = y;
    return absl::OkStatus();
  }

  std::map<std::string, torch::Tensor> values_;
};

}  // namespace

absl::StatusOr<torch::Tensor> RunOnnxModel(const std::string& model_bytes, const torch::Tensor& input) {
  onnx::ModelProto model;
  if (!model.ParseFromString(model_bytes)) return absl::InvalidArgumentError("onnx eval: not an ONNX model");
  try {
    torch::NoGradGuard no_grad;
    return Evaluator().Run(model, input);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("onnx eval: ", e.what_without_backtrace()));
  }
}

}  // namespace bitsearch
