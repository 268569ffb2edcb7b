#include "search/onnx/torchscript_export.h"

#include <torch/script.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace bitsearch {
namespace {

// A float literal that reads back as the same float32.
std::string Lit(double v) { return absl::StrFormat("%.9g", v); }

std::string List(const std::vector<int64_t>& v) { return absl::StrCat("[", absl::StrJoin(v, ", "), "]"); }

// Fake quantization of `x` on `g` as one TorchScript expression (the ONNX graph's Q/Clip/DQ).
std::string FakeQuant(const std::string& x, const QuantGrid& g) {
  if (g.integer()) {
    const double lo = static_cast<double>(g.qmin - g.zero_point) * g.scale;
    const double hi = static_cast<double>(g.qmax - g.zero_point) * g.scale;
    if (g.int8()) {
      return absl::StrCat("(torch.clamp(torch.round(", x, " / ", Lit(g.scale), ") + ", g.zero_point,
                          ", ", g.qmin, ", ", g.qmax, ") - ", g.zero_point, ") * ", Lit(g.scale));
    }
    return absl::StrCat("torch.round(torch.clamp(", x, ", ", Lit(static_cast<float>(lo)), ", ",
                        Lit(static_cast<float>(hi)), ") / ", Lit(g.scale), ") * ", Lit(g.scale));
  }
  return absl::StrCat("torch.clamp(", x, ", ", Lit(g.lo), ", ", Lit(g.hi), ")");
}

}  // namespace

std::string TorchScriptSource(const ExportPlan& plan) {
  const Graph& g = plan.graph;
  std::map<int, int> layer_of_node;
  for (size_t k = 0; k < plan.layers.size(); ++k) layer_of_node[plan.layers[k].node] = static_cast<int>(k);
  std::string src = "def forward(self, x):\n";
  std::vector<bool> act_done(plan.acts.size(), false);
  auto v = [](int i) { return absl::StrCat("v", i); };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const std::string out = v(static_cast<int>(i));
    const std::string in = n.inputs.empty() ? "x" : v(n.inputs[0]);
    std::string expr;
    switch (n.op) {
      case Op::kInput:
        expr = "x";
        if (plan.preprocessing_in_graph && plan.preprocessing) expr = "(x * self.pre_scale - self.pre_mean) / self.pre_std";
        break;
      case Op::kConv:
      case Op::kLinear: {
        const int k = layer_of_node.at(static_cast<int>(i));
        const LayerPlan& l = plan.layers[k];
        const std::string q = absl::StrCat("q", l.act);
        if (!act_done[l.act]) {
          absl::StrAppend(&src, "    ", q, " = ", FakeQuant(in, plan.acts[l.act].grid), "\n");
          act_done[l.act] = true;
        }
        const std::string w = absl::StrCat("self.w", k);
        const std::string b = l.bias.defined() ? absl::StrCat("self.b", k) : "None";
        if (n.op == Op::kConv) {
          expr = absl::StrCat("torch.conv2d(", q, ", ", w, ", ", b, ", ", List({n.stride_h, n.stride_w}), ", ",
                              List({n.pad_h, n.pad_w}), ", ", List({n.dilation_h, n.dilation_w}), ", ",
                              n.groups, ")");
        } else if (l.bias.defined()) {
          expr = absl::StrCat("torch.addmm(", b, ", ", q, ", ", w, ".t())");
        } else {
          expr = absl::StrCat("torch.mm(", q, ", ", w, ".t())");
        }
        break;
      }
      case Op::kBatchNorm:
        expr = absl::StrCat("torch.batch_norm(", in, ", self.bn", i, "_g, self.bn", i, "_b, self.bn", i,
                            "_m, self.bn", i, "_v, False, 0.0, ", Lit(n.bn_eps), ", False)");
        break;
      case Op::kReLU:
        expr = absl::StrCat("torch.relu(", in, ")");
        break;
      case Op::kClip:
        if (std::isinf(n.clip_min) && std::isinf(n.clip_max)) {
          expr = in;
        } else if (std::isinf(n.clip_min)) {
          expr = absl::StrCat("torch.clamp(", in, ", max=", Lit(n.clip_max), ")");
        } else if (std::isinf(n.clip_max)) {
          expr = absl::StrCat("torch.clamp(", in, ", min=", Lit(n.clip_min), ")");
        } else {
          expr = absl::StrCat("torch.clamp(", in, ", ", Lit(n.clip_min), ", ", Lit(n.clip_max), ")");
        }
        break;
      case Op::kMaxPool:
        expr = absl::StrCat("torch.max_pool2d(", in, ", ", List({n.kernel_h, n.kernel_w}), ", ",
                            List({n.stride_h, n.stride_w}), ", ", List({n.pad_h, n.pad_w}), ")");
        break;
      case Op::kAvgPool:
        expr = absl::StrCat("torch.avg_pool2d(", in, ", ", List({n.kernel_h, n.kernel_w}), ", ",
                            List({n.stride_h, n.stride_w}), ", ", List({n.pad_h, n.pad_w}), ", False, False)");
        break;
      case Op::kGlobalAvgPool:
        expr = absl::StrCat("torch.mean(", in, ", [2, 3], True)");
        break;
      case Op::kFlatten:
        expr = absl::StrCat("torch.flatten(", in, ", 1)");
        break;
      case Op::kAdd: {
        std::vector<std::string> terms;
        for (int k : n.inputs) terms.push_back(v(k));
        expr = absl::StrJoin(terms, " + ");
        break;
      }
      case Op::kIdentity:
        expr = in;
        break;
    }
    absl::StrAppend(&src, "    ", out, " = ", expr, "\n");
  }
  absl::StrAppend(&src, "    return ", v(g.output), "\n");
  return src;
}

absl::Status SaveTorchScript(const ExportPlan& plan, const std::string& path) {
  try {
    torch::jit::Module m("bitsearch_fake_quantized");
    for (size_t k = 0; k < plan.layers.size(); ++k) {
      m.register_buffer(absl::StrCat("w", k), plan.layers[k].weight_q.contiguous());
      if (plan.layers[k].bias.defined()) m.register_buffer(absl::StrCat("b", k), plan.layers[k].bias.contiguous());
    }
    for (const auto& [i, p] : plan.batch_norms) {
      const char* suffix[4] = {"_g", "_b", "_m", "_v"};
      for (int k = 0; k < 4; ++k) m.register_buffer(absl::StrCat("bn", i, suffix[k]), p[k].contiguous());
    }
    if (plan.preprocessing_in_graph && plan.preprocessing) {
      const Preprocessing& p = *plan.preprocessing;
      const int64_t c = static_cast<int64_t>(p.mean.size());
      m.register_buffer("pre_scale", torch::tensor(p.scale));
      m.register_buffer("pre_mean", torch::tensor(p.mean).reshape({c, 1, 1}));
      m.register_buffer("pre_std", torch::tensor(p.std).reshape({c, 1, 1}));
    }
    m.define(TorchScriptSource(plan));
    m.eval();
    m.save(path);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("TorchScript export to ", path, ": ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("TorchScript export to ", path, ": ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace bitsearch
