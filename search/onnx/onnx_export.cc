#include "search/onnx/onnx_export.h"

#include <torch/script.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "search/onnx/export_plan.h"
#include "search/onnx/onnx_eval.h"
#include "search/onnx/onnx_tensor.h"
#include "search/onnx/quant_json.h"
#include "search/onnx/torchscript_export.h"

namespace bitsearch {
namespace {

constexpr int kOpset = 13;

// Lays an ExportPlan out as an ONNX graph.
class OnnxWriter {
 public:
  explicit OnnxWriter(const ExportPlan& plan) : plan_(plan) {}

  onnx::ModelProto Build() {
    onnx::ModelProto model;
    model.set_ir_version(7);  // the IR of opset 13
    model.set_producer_name("bitsearch");
    model.set_doc_string("fake-quantized model exported by bitsearch (QDQ, int8 containers)");
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    g_ = model.mutable_graph();
    g_->set_name("bitsearch_quantized");
    const Graph& graph = plan_.graph;
    std::map<int, int> layer_of_node;
    for (size_t k = 0; k < plan_.layers.size(); ++k) layer_of_node[plan_.layers[k].node] = static_cast<int>(k);
    std::vector<std::string> value(graph.nodes.size());
    std::vector<std::string> act_value(plan_.acts.size());
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      const Node& n = graph.nodes[i];
      const std::string in = n.inputs.empty() ? "" : value[n.inputs[0]];
      switch (n.op) {
        case Op::kInput:
          value[i] = TensorInfo(g_->add_input(), "input", plan_.input_shape);
          if (plan_.preprocessing_in_graph && plan_.preprocessing) value[i] = Preprocess(value[i], *plan_.preprocessing);
          continue;
        case Op::kConv:
        case Op::kLinear: {
          const int k = layer_of_node.at(static_cast<int>(i));
          const LayerPlan& l = plan_.layers[k];
          if (act_value[l.act].empty()) {
            act_value[l.act] = FakeQuant(in, plan_.acts[l.act].grid, absl::StrCat(graph.nodes[n.inputs[0]].name, "/act_q"));
          }
          std::string w = Init(n.name + ".weight", l.weight_q);
          if (l.weight.bits != 0) w = FakeQuant(w, l.weight, n.name + "/weight_q");
          std::vector<std::string> ins = {act_value[l.act], w};
          if (l.bias.defined()) ins.push_back(Init(n.name + ".bias", l.bias));
          onnx::NodeProto* node = AddNode(n.op == Op::kConv ? "Conv" : "Gemm", n.name, ins);
          if (n.op == Op::kConv) {
            Ints(node, "kernel_shape", {n.kernel_h, n.kernel_w});
            Ints(node, "strides", {n.stride_h, n.stride_w});
            Ints(node, "pads", {n.pad_h, n.pad_w, n.pad_h, n.pad_w});
            Ints(node, "dilations", {n.dilation_h, n.dilation_w});
            Int(node, "group", n.groups);
          } else {
            Int(node, "transB", 1);
          }
          value[i] = node->output(0);
          continue;
        }
        case Op::kBatchNorm: {
          const auto& p = plan_.batch_norms.at(static_cast<int>(i));
          onnx::NodeProto* node = AddNode("BatchNormalization", n.name,
                                          {in, Init(n.name + ".gamma", p[0]), Init(n.name + ".beta", p[1]),
                                           Init(n.name + ".mean", p[2]), Init(n.name + ".var", p[3])});
          Float(node, "epsilon", static_cast<float>(n.bn_eps));
          value[i] = node->output(0);
          continue;
        }
        case Op::kReLU:
          value[i] = AddNode("Relu", n.name, {in})->output(0);
          continue;
        case Op::kClip: {
          std::string lo = std::isinf(n.clip_min) ? "" : Init(n.name + ".min", torch::tensor(static_cast<float>(n.clip_min)));
          std::string hi = std::isinf(n.clip_max) ? "" : Init(n.name + ".max", torch::tensor(static_cast<float>(n.clip_max)));
          value[i] = AddNode("Clip", n.name, {in, lo, hi})->output(0);
          continue;
        }
        case Op::kMaxPool:
        case Op::kAvgPool: {
          onnx::NodeProto* node = AddNode(n.op == Op::kMaxPool ? "MaxPool" : "AveragePool", n.name, {in});
          Ints(node, "kernel_shape", {n.kernel_h, n.kernel_w});
          Ints(node, "strides", {n.stride_h, n.stride_w});
          Ints(node, "pads", {n.pad_h, n.pad_w, n.pad_h, n.pad_w});
          if (n.op == Op::kAvgPool) Int(node, "count_include_pad", 0);
          value[i] = node->output(0);
          continue;
        }
        case Op::kGlobalAvgPool:
          value[i] = AddNode("GlobalAveragePool", n.name, {in})->output(0);
          continue;
        case Op::kFlatten: {
          onnx::NodeProto* node = AddNode("Flatten", n.name, {in});
          Int(node, "axis", 1);
          value[i] = node->output(0);
          continue;
        }
        case Op::kAdd: {
          std::vector<std::string> ins;
          for (int k : n.inputs) ins.push_back(value[k]);
          std::string acc = ins[0];
          for (size_t k = 1; k < ins.size(); ++k) {
            acc = AddNode("Add", k == 1 ? n.name : absl::StrCat(n.name, "_", k), {acc, ins[k]})->output(0);
          }
          value[i] = acc;
          continue;
        }
        case Op::kIdentity:
          value[i] = in;
          continue;
      }
    }
    auto* logits = AddNode("Identity", "logits", {value[graph.output]});
    TensorInfo(g_->add_output(), logits->output(0), graph.nodes[graph.output].out_shape);
    return model;
  }

 private:
  std::string TensorInfo(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& dims) {
    info->set_name(name);
    auto* tt = info->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("batch");
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
    return name;
  }

  std::string Init(const std::string& name, const torch::Tensor& t) {
    *g_->add_initializer() = TensorToProto(name, t);
    return name;
  }

  onnx::NodeProto* AddNode(const std::string& op, const std::string& name, const std::vector<std::string>& inputs) {
    auto* node = g_->add_node();
    node->set_op_type(op);
    node->set_name(name);
    for (const auto& i : inputs) node->add_input(i);
    node->add_output(absl::StrCat(name, ":", op));
    return node;
  }

  // (x * scale - mean) / std with per-channel [C,1,1] constants: the same float32 operations, in
  // the same order, as Preprocessing::Apply, so the quantized input sees identical values.
  std::string Preprocess(const std::string& x, const Preprocessing& p) {
    const int64_t c = static_cast<int64_t>(p.mean.size());
    auto* mul = AddNode("Mul", "preprocess/scale", {x, Init("preprocess.scale", torch::tensor(p.scale))});
    auto* sub = AddNode("Sub", "preprocess/mean",
                        {mul->output(0), Init("preprocess.mean", torch::tensor(p.mean).reshape({c, 1, 1}))});
    return AddNode("Div", "preprocess/std",
                   {sub->output(0), Init("preprocess.std", torch::tensor(p.std).reshape({c, 1, 1}))})
        ->output(0);
  }

  // Q -> Clip -> DQ for 2..8 bits; Clip/Div/Round/Mul for 16; Clip for 32.
  std::string FakeQuant(const std::string& x, const QuantGrid& g, const std::string& prefix) {
    if (g.int8()) {
      std::string scale = Init(prefix + ".scale", torch::tensor(g.scale));
      std::string zp = Init(prefix + ".zero_point", torch::tensor(static_cast<int8_t>(g.zero_point), torch::kChar));
      std::string qmin = Init(prefix + ".qmin", torch::tensor(static_cast<int8_t>(g.qmin), torch::kChar));
      std::string qmax = Init(prefix + ".qmax", torch::tensor(static_cast<int8_t>(g.qmax), torch::kChar));
      auto* q = AddNode("QuantizeLinear", prefix + "/quantize", {x, scale, zp});
      auto* c = AddNode("Clip", absl::StrCat(prefix, "/clip_", g.bits, "bit"), {q->output(0), qmin, qmax});
      return AddNode("DequantizeLinear", prefix + "/dequantize", {c->output(0), scale, zp})->output(0);
    }
    if (g.integer()) {
      const float lo = static_cast<float>(g.qmin - g.zero_point) * g.scale;
      const float hi = static_cast<float>(g.qmax - g.zero_point) * g.scale;
      std::string scale = Init(prefix + ".scale", torch::tensor(g.scale));
      auto* c = AddNode("Clip", absl::StrCat(prefix, "/clip_", g.bits, "bit"),
                        {x, Init(prefix + ".lo", torch::tensor(lo)), Init(prefix + ".hi", torch::tensor(hi))});
      auto* d = AddNode("Div", prefix + "/div", {c->output(0), scale});
      auto* r = AddNode("Round", prefix + "/round", {d->output(0)});
      return AddNode("Mul", prefix + "/mul", {r->output(0), scale})->output(0);
    }
    return AddNode("Clip", prefix + "/clip_32bit",
                   {x, Init(prefix + ".lo", torch::tensor(g.lo)), Init(prefix + ".hi", torch::tensor(g.hi))})
        ->output(0);
  }

  static void Int(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void Float(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void Ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }

  const ExportPlan& plan_;
  onnx::GraphProto* g_ = nullptr;
};

absl::StatusOr<std::string> PlanToOnnx(const ExportPlan& plan) {
  onnx::ModelProto model = OnnxWriter(plan).Build();
  std::string bytes = model.SerializeAsString();
  absl::Status st = CheckOnnxBytes(bytes);
  if (!st.ok()) return st;
  return bytes;
}

absl::Status WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckOnnxBytes(const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return absl::InternalError("ONNX check: the bytes do not parse");
  try {
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*strict_mode=*/1);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("the ONNX checker rejects the model: ", e.what()));
  }
  return absl::OkStatus();
}

nlohmann::json ExportReport::ToJson() const {
  return {{"dir", dir},
          {"payload_bytes", payload_bytes},
          {"expected_payload_bytes", expected_payload_bytes},
          {"removed_channels", removed_channels},
          {"checked_samples", checked_samples},
          {"onnx_agreement_percent", onnx_agreement_percent},
          {"torchscript_agreement_percent", torchscript_agreement_percent},
          {"onnx_max_logit_diff", onnx_max_logit_diff}};
}

absl::StatusOr<ExportReport> ExportReport::FromJson(const nlohmann::json& j) {
  ExportReport r;
  try {
    r.dir = j.at("dir").get<std::string>();
    r.payload_bytes = j.at("payload_bytes").get<int64_t>();
    r.expected_payload_bytes = j.at("expected_payload_bytes").get<int64_t>();
    r.removed_channels = j.at("removed_channels").get<int64_t>();
    r.checked_samples = j.at("checked_samples").get<int64_t>();
    r.onnx_agreement_percent = j.at("onnx_agreement_percent").get<double>();
    r.torchscript_agreement_percent = j.at("torchscript_agreement_percent").get<double>();
    r.onnx_max_logit_diff = j.at("onnx_max_logit_diff").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("export report: ", e.what()));
  }
  return r;
}

absl::StatusOr<std::string> QuantizedOnnxBytes(NetworkImpl& net) {
  try {
    auto plan = BuildExportPlan(net);
    if (!plan.ok()) return plan.status();
    return PlanToOnnx(*plan);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("ONNX export: ", e.what_without_backtrace()));
  }
}

absl::StatusOr<ExportReport> ExportQuantized(NetworkImpl& net, const std::string& dir,
                                             const ExportOptions& options) {
  try {
    torch::NoGradGuard no_grad;
    auto plan = BuildExportPlan(net);
    if (!plan.ok()) return plan.status();
    plan->preprocessing = options.preprocessing;
    plan->preprocessing_in_graph = options.include_preprocessing && options.preprocessing.has_value();
    auto bytes = PlanToOnnx(*plan);
    if (!bytes.ok()) return bytes.status();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
    ExportReport report;
    report.dir = dir;
    report.removed_channels = plan->removed_channels;
    absl::Status st = WriteFile(dir + "/model.onnx", *bytes);
    if (!st.ok()) return st;
    nlohmann::json qj = BuildQuantJson(*plan);
    st = WriteFile(dir + "/quant.json", qj.dump(1));
    if (!st.ok()) return st;
    report.payload_bytes = qj["payload_bytes"].get<int64_t>();
    for (const LayerPlan& l : plan->layers) {
      int64_t kept = l.weight.bits == 0 ? 0 : KeptWeights(l).numel();
      report.expected_payload_bytes += (kept * l.weight.bits + 7) / 8;
    }
    const std::string ts_path = dir + "/model.pt";
    if (options.torchscript) {
      st = SaveTorchScript(*plan, ts_path);
      if (!st.ok()) return st;
    }
    if (options.check_inputs.defined() && options.check_inputs.size(0) > 0) {
      const bool was_training = net.is_training();
      net.eval();
      torch::jit::Module ts;
      if (options.torchscript) ts = torch::jit::load(ts_path);
      int64_t agree_onnx = 0, agree_ts = 0;
      double max_diff = 0;
      const int64_t n = options.check_inputs.size(0);
      for (int64_t s = 0; s < n; s += 256) {
        torch::Tensor raw = options.check_inputs.slice(0, s, std::min(n, s + 256));
        torch::Tensor x = options.preprocessing ? options.preprocessing->Apply(raw) : raw.to(torch::kFloat);
        torch::Tensor fed = plan->preprocessing_in_graph ? raw.to(torch::kFloat) : x;
        torch::Tensor ref = net.forward(x);
        auto y = RunOnnxModel(*bytes, fed);
        if (!y.ok()) return y.status();
        agree_onnx += ref.argmax(1).eq(y->argmax(1)).sum().item<int64_t>();
        max_diff = std::max(max_diff, (ref - *y).abs().max().item<double>());
        if (options.torchscript) {
          torch::Tensor t = ts.forward({fed}).toTensor();
          agree_ts += ref.argmax(1).eq(t.argmax(1)).sum().item<int64_t>();
        }
      }
      net.train(was_training);
      report.checked_samples = n;
      report.onnx_agreement_percent = 100.0 * agree_onnx / n;
      report.onnx_max_logit_diff = max_diff;
      if (options.torchscript) report.torchscript_agreement_percent = 100.0 * agree_ts / n;
    }
    return report;
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("export to ", dir, ": ", e.what_without_backtrace()));
  }
}

}  // namespace bitsearch
