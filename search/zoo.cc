#include "search/zoo.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"

namespace bitsearch {
namespace {

// Small builder that names nodes and keeps the code of each model readable.
class Builder {
 public:
  explicit Builder(Graph* g) : g_(g) {
    Node in;
    in.op = Op::kInput;
    in.name = "input";
    g_->Add(in);
  }

  int Conv(const std::string& name, int x, int64_t in, int64_t out, int64_t k, int64_t stride,
           int64_t pad, int64_t groups = 1, bool bias = true) {
    Node n;
    n.op = Op::kConv;
    n.name = name;
    n.inputs = {x};
    n.in_channels = in;
    n.out_channels = out;
    n.kernel_h = n.kernel_w = k;
    n.stride_h = n.stride_w = stride;
    n.pad_h = n.pad_w = pad;
    n.groups = groups;
    n.bias = bias;
    return g_->Add(n);
  }
  int Linear(const std::string& name, int x, int64_t in, int64_t out) {
    Node n;
    n.op = Op::kLinear;
    n.name = name;
    n.inputs = {x};
    n.in_channels = in;
    n.out_channels = out;
    return g_->Add(n);
  }
  int BatchNorm(const std::string& name, int x, int64_t channels) {
    Node n;
    n.op = Op::kBatchNorm;
    n.name = name;
    n.inputs = {x};
    n.out_channels = channels;
    return g_->Add(n);
  }
  int Unary(Op op, const std::string& name, int x) {
    Node n;
    n.op = op;
    n.name = name;
    n.inputs = {x};
    return g_->Add(n);
  }
  int Relu6(const std::string& name, int x) {
    Node n;
    n.op = Op::kClip;
    n.name = name;
    n.inputs = {x};
    n.clip_min = 0;
    n.clip_max = 6;
    return g_->Add(n);
  }
  int Pool(Op op, const std::string& name, int x, int64_t k, int64_t stride) {
    Node n;
    n.op = op;
    n.name = name;
    n.inputs = {x};
    n.kernel_h = n.kernel_w = k;
    n.stride_h = n.stride_w = stride;
    return g_->Add(n);
  }
  int Add(const std::string& name, int a, int b) {
    Node n;
    n.op = Op::kAdd;
    n.name = name;
    n.inputs = {a, b};
    return g_->Add(n);
  }
  // conv (no bias) -> BN, the usual pair; the BN folds into the conv before quantizing.
  int ConvBn(const std::string& name, int x, int64_t in, int64_t out, int64_t k, int64_t stride,
             int64_t pad, int64_t groups = 1) {
    int c = Conv(name, x, in, out, k, stride, pad, groups, /*bias=*/false);
    return BatchNorm(name + ".bn", c, out);
  }

 private:
  Graph* g_;
};

int64_t Scaled(int64_t channels, double width) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::lround(channels * width)));
}

Graph LeNet5(const std::vector<int64_t>& in, int64_t classes) {
  Graph g;
  Builder b(&g);
  int x = b.Conv("conv1", 0, in[0], 32, 5, 1, 0);
  x = b.Unary(Op::kReLU, "relu1", x);
  x = b.Pool(Op::kMaxPool, "pool1", x, 2, 2);
  x = b.Conv("conv2", x, 32, 64, 5, 1, 0);
  x = b.Unary(Op::kReLU, "relu2", x);
  x = b.Pool(Op::kMaxPool, "pool2", x, 2, 2);
  x = b.Unary(Op::kFlatten, "flatten", x);
  // The paper's FC 1024->512 assumes 28x28 inputs; other sizes get the matching fan-in.
  int64_t h = ((in[1] - 4) / 2 - 4) / 2, w = ((in[2] - 4) / 2 - 4) / 2;
  x = b.Linear("fc1", x, 64 * h * w, 512);
  x = b.Unary(Op::kReLU, "relu3", x);
  g.output = b.Linear("fc2", x, 512, classes);
  return g;
}

Graph Vgg7(const std::vector<int64_t>& in, int64_t classes, double width) {
  Graph g;
  Builder b(&g);
  const int64_t plan[] = {128, 128, 0, 256, 256, 0, 512, 512, 0};
  int x = 0;
  int64_t c = in[0], h = in[1], w = in[2];
  int conv = 0;
  for (int64_t p : plan) {
    if (p == 0) {
      x = b.Pool(Op::kMaxPool, absl::StrCat("pool", conv / 2), x, 2, 2);
      h /= 2;
      w /= 2;
      continue;
    }
    ++conv;
    int64_t out = Scaled(p, width);
    x = b.ConvBn(absl::StrCat("conv", conv), x, c, out, 3, 1, 1);
    x = b.Unary(Op::kReLU, absl::StrCat("relu", conv), x);
    c = out;
  }
  x = b.Unary(Op::kFlatten, "flatten", x);
  int64_t hidden = Scaled(1024, width);
  x = b.Linear("fc1", x, c * h * w, hidden);
  x = b.Unary(Op::kReLU, "relu_fc1", x);
  g.output = b.Linear("fc2", x, hidden, classes);
  return g;
}

Graph ResNet8(const std::vector<int64_t>& in, int64_t classes, double width) {
  Graph g;
  Builder b(&g);
  int64_t c = Scaled(16, width);
  int x = b.ConvBn("stem", 0, in[0], c, 3, 1, 1);
  x = b.Unary(Op::kReLU, "stem.relu", x);
  const int64_t stages[] = {16, 32, 64};
  for (int s = 0; s < 3; ++s) {
    int64_t out = Scaled(stages[s], width);
    int64_t stride = s == 0 ? 1 : 2;
    std::string p = absl::StrCat("block", s + 1);
    int y = b.ConvBn(p + ".conv1", x, c, out, 3, stride, 1);
    y = b.Unary(Op::kReLU, p + ".relu1", y);
    y = b.ConvBn(p + ".conv2", y, out, out, 3, 1, 1);
    int shortcut = x;
    if (stride != 1 || c != out) shortcut = b.ConvBn(p + ".down", x, c, out, 1, stride, 0);
    x = b.Add(p + ".add", y, shortcut);
    x = b.Unary(Op::kReLU, p + ".relu2", x);
    c = out;
  }
  x = b.Unary(Op::kGlobalAvgPool, "gap", x);
  x = b.Unary(Op::kFlatten, "flatten", x);
  g.output = b.Linear("fc", x, c, classes);
  return g;
}

// MobileNetV2 for small inputs (CIFAR-style): stride-1 stem and second stage, so a 32x32 input
// ends at 4x4 rather than 1x1.
Graph MobileNetV2(const std::vector<int64_t>& in, int64_t classes, double width) {
  Graph g;
  Builder b(&g);
  struct Stage { int64_t t, c, n, s; };
  const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 1}, {6, 32, 3, 2}, {6, 64, 4, 2},
                          {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t c = Scaled(32, width);
  int x = b.ConvBn("stem", 0, in[0], c, 3, 1, 1);
  x = b.Relu6("stem.relu6", x);
  int block = 0;
  for (const Stage& st : stages) {
    int64_t out = Scaled(st.c, width);
    for (int64_t i = 0; i < st.n; ++i) {
      int64_t stride = i == 0 ? st.s : 1;
      std::string p = absl::StrCat("block", ++block);
      int64_t hidden = c * st.t;
      int y = x;
      if (st.t != 1) {
        y = b.ConvBn(p + ".expand", y, c, hidden, 1, 1, 0);
        y = b.Relu6(p + ".expand.relu6", y);
      }
      y = b.ConvBn(p + ".dw", y, hidden, hidden, 3, stride, 1, hidden);
      y = b.Relu6(p + ".dw.relu6", y);
      y = b.ConvBn(p + ".project", y, hidden, out, 1, 1, 0);
      if (stride == 1 && c == out) y = b.Add(p + ".add", y, x);
      x = y;
      c = out;
    }
  }
  int64_t last = Scaled(1280, std::max(1.0, width));
  x = b.ConvBn("head", x, c, last, 1, 1, 0);
  x = b.Relu6("head.relu6", x);
  x = b.Unary(Op::kGlobalAvgPool, "gap", x);
  x = b.Unary(Op::kFlatten, "flatten", x);
  g.output = b.Linear("classifier", x, last, classes);
  return g;
}

// A zoo model's builder; it checks the input sizes the model needs.
using ZooBuilder = std::function<absl::StatusOr<Graph>(const std::vector<int64_t>& input_shape,
                                                       int64_t classes, double width)>;

// Keyed by the catalog's zoo model names (search/catalog.h holds their descriptions).
const std::map<std::string, ZooBuilder>& ZooBuilders() {
  static const auto* builders = new std::map<std::string, ZooBuilder>{
      {"lenet5",
       [](const std::vector<int64_t>& in, int64_t classes, double) -> absl::StatusOr<Graph> {
         if (in[1] < 16 || in[2] < 16) {
           return absl::InvalidArgumentError("model.zoo: lenet5 needs inputs of at least 16x16");
         }
         return LeNet5(in, classes);
       }},
      {"vgg7",
       [](const std::vector<int64_t>& in, int64_t classes, double width) -> absl::StatusOr<Graph> {
         if (in[1] < 8 || in[2] < 8) {
           return absl::InvalidArgumentError("model.zoo: vgg7 needs inputs of at least 8x8");
         }
         return Vgg7(in, classes, width);
       }},
      {"resnet8",
       [](const std::vector<int64_t>& in, int64_t classes, double width) -> absl::StatusOr<Graph> {
         return ResNet8(in, classes, width);
       }},
      {"mobilenetv2",
       [](const std::vector<int64_t>& in, int64_t classes, double width) -> absl::StatusOr<Graph> {
         return MobileNetV2(in, classes, width);
       }},
  };
  return *builders;
}

}  // namespace

std::vector<std::string> ZooFactoryNames() {
  std::vector<std::string> names;
  for (const auto& [name, builder] : ZooBuilders()) names.push_back(name);
  return names;
}

absl::StatusOr<Graph> BuildZooModel(const std::string& name, const std::vector<int64_t>& input_shape,
                                    int64_t classes, double width) {
  if (input_shape.size() != 3) return absl::InvalidArgumentError("model: input shape must be C,H,W");
  if (classes < 2) return absl::InvalidArgumentError("model: need at least 2 classes");
  auto it = ZooBuilders().find(name);
  if (it == ZooBuilders().end()) {
    return absl::InvalidArgumentError(absl::StrCat("model.zoo: unknown model \"", name, "\""));
  }
  auto g = it->second(input_shape, classes, width);
  if (!g.ok()) return g.status();
  absl::Status st = InferShapes(*g, input_shape);
  if (!st.ok()) return st;
  return g;
}

}  // namespace bitsearch
