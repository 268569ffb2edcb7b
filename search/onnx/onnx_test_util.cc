#include "search/onnx/onnx_test_util.h"

#include "absl/strings/str_cat.h"
#include "search/onnx/onnx_tensor.h"

namespace bitsearch {

OnnxBuilder::OnnxBuilder(int opset) {
  model_.set_ir_version(8);
  model_.set_producer_name("bitsearch-test");
  auto* o = model_.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  model_.mutable_graph()->set_name("test");
}

std::string OnnxBuilder::Input(const std::string& name, const std::vector<int64_t>& dims) {
  auto* in = model_.mutable_graph()->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d < 0) {
      dim->set_dim_param("batch");
    } else {
      dim->set_dim_value(d);
    }
  }
  return name;
}

std::string OnnxBuilder::Initializer(const std::string& name, const torch::Tensor& value) {
  *model_.mutable_graph()->add_initializer() = TensorToProto(name, value);
  return name;
}

std::string OnnxBuilder::Constant(const torch::Tensor& value) {
  std::string name = absl::StrCat("/Constant_", constants_++);
  auto* node = Node("Constant", name, {});
  auto* a = node->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = TensorToProto("", value);
  return node->output(0);
}

onnx::NodeProto* OnnxBuilder::Node(const std::string& op, const std::string& name,
                                   const std::vector<std::string>& inputs, int outputs) {
  auto* node = model_.mutable_graph()->add_node();
  node->set_op_type(op);
  node->set_name(name);
  for (const auto& i : inputs) node->add_input(i);
  for (int o = 0; o < outputs; ++o) node->add_output(absl::StrCat(name, "_output_", o));
  return node;
}

void OnnxBuilder::Output(const std::string& name) {
  auto* out = model_.mutable_graph()->add_output();
  out->set_name(name);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
}

std::string OnnxBuilder::Bytes() const { return model_.SerializeAsString(); }

void SetInt(onnx::NodeProto* node, const std::string& name, int64_t v) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void SetFloat(onnx::NodeProto* node, const std::string& name, float v) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void SetInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

std::string GraphToOnnx(NetworkImpl& net, int opset) {
  const Graph& g = net.graph();
  std::map<std::string, torch::Tensor> params;
  for (auto& p : net.named_parameters(false)) params[p.key()] = p.value().detach();
  for (auto& p : net.named_buffers(false)) params[p.key()] = p.value().detach();
  OnnxBuilder b(opset);
  std::vector<std::string> out(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const bitsearch::Node& n = g.nodes[i];
    const std::string prefix = "/" + n.name + "/";
    const std::string base = ModuleName(n.name);
    std::vector<std::string> in;
    for (int k : n.inputs) in.push_back(out[k]);
    onnx::NodeProto* node = nullptr;
    switch (n.op) {
      case Op::kInput: {
        const auto& s = n.out_shape;
        std::string x = b.Input("input.1", {-1, s[0], s[1], s[2]});
        // torch.onnx.export leaves Identity nodes around; the importer must skip them.
        out[i] = b.Node("Identity", "/Identity_in", {x})->output(0);
        continue;
      }
      case Op::kConv:
        in.push_back(b.Initializer(n.name + ".weight", params.at(base + "_weight")));
        if (n.bias) in.push_back(b.Initializer(n.name + ".bias", params.at(base + "_bias")));
        node = b.Node("Conv", prefix + "Conv", in);
        SetInts(node, "dilations", {n.dilation_h, n.dilation_w});
        SetInt(node, "group", n.groups);
        SetInts(node, "kernel_shape", {n.kernel_h, n.kernel_w});
        SetInts(node, "pads", {n.pad_h, n.pad_w, n.pad_h, n.pad_w});
        SetInts(node, "strides", {n.stride_h, n.stride_w});
        break;
      case Op::kLinear:
        in.push_back(b.Initializer(n.name + ".weight", params.at(base + "_weight")));
        if (n.bias) in.push_back(b.Initializer(n.name + ".bias", params.at(base + "_bias")));
        node = b.Node("Gemm", prefix + "Gemm", in);
        SetFloat(node, "alpha", 1.0f);
        SetFloat(node, "beta", 1.0f);
        SetInt(node, "transB", 1);
        break;
      case Op::kBatchNorm:
        for (const char* p : {"gamma", "beta", "running_mean", "running_var"}) {
          in.push_back(b.Initializer(absl::StrCat(n.name, ".", p), params.at(base + "_" + p)));
        }
        node = b.Node("BatchNormalization", prefix + "BatchNormalization", in);
        SetFloat(node, "epsilon", static_cast<float>(n.bn_eps));
        SetFloat(node, "momentum", 0.9f);
        break;
      case Op::kReLU:
        node = b.Node("Relu", prefix + "Relu", in);
        break;
      case Op::kClip:
        in.push_back(b.Constant(torch::tensor(static_cast<float>(n.clip_min))));
        in.push_back(b.Constant(torch::tensor(static_cast<float>(n.clip_max))));
        node = b.Node("Clip", prefix + "Clip", in);
        break;
      case Op::kMaxPool:
      case Op::kAvgPool:
        node = b.Node(n.op == Op::kMaxPool ? "MaxPool" : "AveragePool",
                      prefix + (n.op == Op::kMaxPool ? "MaxPool" : "AveragePool"), in);
        SetInt(node, "ceil_mode", 0);
        SetInts(node, "kernel_shape", {n.kernel_h, n.kernel_w});
        SetInts(node, "pads", {n.pad_h, n.pad_w, n.pad_h, n.pad_w});
        SetInts(node, "strides", {n.stride_h, n.stride_w});
        break;
      case Op::kGlobalAvgPool:
        node = b.Node("GlobalAveragePool", prefix + "GlobalAveragePool", in);
        break;
      case Op::kFlatten:
        node = b.Node("Flatten", prefix + "Flatten", in);
        SetInt(node, "axis", 1);
        break;
      case Op::kAdd:
        node = b.Node("Add", prefix + "Add", in);
        break;
      case Op::kIdentity:
        node = b.Node("Identity", prefix + "Identity", in);
        break;
    }
    out[i] = node->output(0);
  }
  std::string logits = b.Node("Identity", "/Identity_out", {out[g.output]})->output(0);
  b.Output(logits);
  return b.Bytes();
}

}  // namespace bitsearch
