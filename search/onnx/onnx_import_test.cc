// ONNX import: each operator against the LibTorch op it stands for, zoo twins (the same weights
// through the zoo graph and through ONNX give the same logits), torch.onnx.export's layout, and a
// specific error for every malformed input.
#include "search/onnx/onnx_import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "search/onnx/onnx_tensor.h"
#include "search/onnx/onnx_test_util.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

using ::testing::HasSubstr;

// Imports `bytes`, loads the weights into a Network and runs `x` in float.
torch::Tensor RunImported(const std::string& bytes, const torch::Tensor& x, ImportedModel* out = nullptr) {
  auto model = ImportOnnxBytes(bytes);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return torch::Tensor();
  Network net(model->graph, NetworkOptions{});
  EXPECT_TRUE(LoadImportedWeights(*model, *net).ok());
  net->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor y = net->forward(x);
  if (out) *out = std::move(*model);
  return y;
}

void ExpectClose(const torch::Tensor& a, const torch::Tensor& b, double tol = 1e-5) {
  ASSERT_TRUE(a.defined());
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_LE((a - b).abs().max().item<double>(), tol);
}

// A one-op model: input [N,C,H,W] -> op -> Flatten -> output.
struct OneOp {
  OnnxBuilder b;
  std::string x;
  explicit OneOp(std::vector<int64_t> chw, int opset = 13) : b(opset) {
    x = b.Input("x", {-1, chw[0], chw[1], chw[2]});
  }
  std::string Finish(const std::string& y) {
    auto* f = b.Node("Flatten", "flat", {y});
    SetInt(f, "axis", 1);
    b.Output(f->output(0));
    return b.Bytes();
  }
};

class OpsetTest : public ::testing::TestWithParam<int> {};

TEST_P(OpsetTest, ConvWithGroupsPadsStridesDilationsMatchesLibTorch) {
  torch::manual_seed(1);
  OneOp m({4, 9, 9}, GetParam());
  auto w = torch::randn({6, 2, 3, 3}), bias = torch::randn({6});
  auto* c = m.b.Node("Conv", "conv", {m.x, m.b.Initializer("w", w), m.b.Initializer("b", bias)});
  SetInt(c, "group", 2);
  SetInts(c, "pads", {2, 1, 2, 1});
  SetInts(c, "strides", {2, 1});
  SetInts(c, "dilations", {2, 1});
  auto x = torch::randn({3, 4, 9, 9});
  ImportedModel model;
  auto y = RunImported(m.Finish(c->output(0)), x, &model);
  auto ref = torch::conv2d(x, w, bias, {2, 1}, {2, 1}, {2, 1}, 2).flatten(1);
  ExpectClose(y, ref);
  EXPECT_EQ(model.graph.nodes[1].op, Op::kConv);
  EXPECT_EQ(model.graph.nodes[1].name, "conv");
}

INSTANTIATE_TEST_SUITE_P(Opsets, OpsetTest, ::testing::Values(11, 13, 17));

TEST(OnnxImportOps, ConvAutoPadSameUpper) {
  torch::manual_seed(2);
  OneOp m({3, 8, 8});
  auto w = torch::randn({5, 3, 3, 3});
  auto* c = m.b.Node("Conv", "conv", {m.x, m.b.Initializer("w", w)});
  c->add_attribute()->set_name("auto_pad");
  c->mutable_attribute(0)->set_type(onnx::AttributeProto::STRING);
  c->mutable_attribute(0)->set_s("SAME_UPPER");
  auto x = torch::randn({2, 3, 8, 8});
  ExpectClose(RunImported(m.Finish(c->output(0)), x), torch::conv2d(x, w, {}, 1, 1).flatten(1));
}

TEST(OnnxImportOps, GemmWithAlphaBetaAndUntransposedWeight) {
  torch::manual_seed(3);
  OneOp m({2, 3, 3});
  auto* f = m.b.Node("Flatten", "f0", {m.x});
  SetInt(f, "axis", 1);
  auto bm = torch::randn({18, 7}), c = torch::randn({1, 7});
  auto* g = m.b.Node("Gemm", "gemm", {f->output(0), m.b.Initializer("B", bm), m.b.Initializer("C", c)});
  SetFloat(g, "alpha", 0.5f);
  SetFloat(g, "beta", 2.0f);
  m.b.Output(g->output(0));
  auto x = torch::randn({4, 2, 3, 3});
  ExpectClose(RunImported(m.b.Bytes(), x), 0.5 * x.flatten(1).matmul(bm) + 2.0 * c);
}

TEST(OnnxImportOps, MatMulPlusAddBecomesOneLinear) {
  torch::manual_seed(4);
  OneOp m({2, 2, 2});
  auto* f = m.b.Node("Flatten", "f0", {m.x});
  auto w = torch::randn({8, 5}), bias = torch::randn({5});
  auto* mm = m.b.Node("MatMul", "mm", {f->output(0), m.b.Initializer("W", w)});
  auto* add = m.b.Node("Add", "bias_add", {mm->output(0), m.b.Initializer("bias", bias)});
  m.b.Output(add->output(0));
  auto x = torch::randn({3, 2, 2, 2});
  ImportedModel model;
  ExpectClose(RunImported(m.b.Bytes(), x, &model), x.flatten(1).matmul(w) + bias);
  EXPECT_EQ(model.graph.Layers().size(), 1u);
  EXPECT_TRUE(model.graph.nodes[model.graph.output].bias);
}

TEST(OnnxImportOps, BatchNormalizationMatchesLibTorch) {
  torch::manual_seed(5);
  OneOp m({3, 4, 4});
  auto g = torch::rand({3}) + 0.5, be = torch::randn({3}), mu = torch::randn({3}), var = torch::rand({3}) + 0.1;
  auto* bn = m.b.Node("BatchNormalization", "bn", {m.x, m.b.Initializer("g", g), m.b.Initializer("b", be),
                                                   m.b.Initializer("m", mu), m.b.Initializer("v", var)});
  SetFloat(bn, "epsilon", 1e-3f);
  auto x = torch::randn({2, 3, 4, 4});
  ExpectClose(RunImported(m.Finish(bn->output(0)), x),
              torch::batch_norm(x, g, be, mu, var, false, 0.1, 1e-3, false).flatten(1));
}

TEST(OnnxImportOps, ReluAndClipForms) {
  auto x = torch::randn({2, 2, 3, 3}) * 8;
  {
    OneOp m({2, 3, 3});
    ExpectClose(RunImported(m.Finish(m.b.Node("Relu", "relu", {m.x})->output(0)), x), torch::relu(x).flatten(1));
  }
  {  // ReLU6 through Constant nodes, as torch.onnx.export writes it
    OneOp m({2, 3, 3});
    auto* c = m.b.Node("Clip", "relu6", {m.x, m.b.Constant(torch::tensor(0.f)), m.b.Constant(torch::tensor(6.f))});
    ImportedModel model;
    ExpectClose(RunImported(m.Finish(c->output(0)), x, &model), torch::clamp(x, 0, 6).flatten(1));
    EXPECT_EQ(model.graph.nodes[1].op, Op::kClip);
  }
  {  // general bounds from initializers
    OneOp m({2, 3, 3});
    auto* c = m.b.Node("Clip", "clip", {m.x, m.b.Initializer("lo", torch::tensor(-0.5f)),
                                        m.b.Initializer("hi", torch::tensor(0.75f))});
    ExpectClose(RunImported(m.Finish(c->output(0)), x), torch::clamp(x, -0.5, 0.75).flatten(1));
  }
  {  // only a max bound (min omitted with an empty name)
    OneOp m({2, 3, 3});
    auto* c = m.b.Node("Clip", "clip", {m.x, "", m.b.Constant(torch::tensor(1.f))});
    ExpectClose(RunImported(m.Finish(c->output(0)), x), torch::clamp_max(x, 1).flatten(1));
  }
  {  // opset 11 still allows attribute bounds in old exporters' output; min only -> ReLU
    OneOp m({2, 3, 3}, 11);
    auto* c = m.b.Node("Clip", "clip", {m.x, m.b.Constant(torch::tensor(0.f))});
    ImportedModel model;
    ExpectClose(RunImported(m.Finish(c->output(0)), x, &model), torch::relu(x).flatten(1));
    EXPECT_EQ(model.graph.nodes[1].op, Op::kReLU);
  }
}

TEST(OnnxImportOps, PoolsMatchLibTorch) {
  torch::manual_seed(6);
  auto x = torch::randn({2, 3, 9, 9});
  {
    OneOp m({3, 9, 9});
    auto* p = m.b.Node("MaxPool", "mp", {m.x});
    SetInts(p, "kernel_shape", {3, 3});
    SetInts(p, "strides", {2, 2});
    SetInts(p, "pads", {1, 1, 1, 1});
    ExpectClose(RunImported(m.Finish(p->output(0)), x), torch::max_pool2d(x, 3, 2, 1).flatten(1));
  }
  {
    OneOp m({3, 9, 9});
    auto* p = m.b.Node("AveragePool", "ap", {m.x});
    SetInts(p, "kernel_shape", {2, 2});
    SetInts(p, "strides", {2, 2});
    ExpectClose(RunImported(m.Finish(p->output(0)), x), torch::avg_pool2d(x, 2, 2).flatten(1));
  }
  {  // padding excluded from the average (ONNX's default count_include_pad=0)
    OneOp m({3, 9, 9});
    auto* p = m.b.Node("AveragePool", "ap", {m.x});
    SetInts(p, "kernel_shape", {3, 3});
    SetInts(p, "pads", {1, 1, 1, 1});
    ExpectClose(RunImported(m.Finish(p->output(0)), x),
                torch::avg_pool2d(x, 3, 1, 1, false, false).flatten(1));
  }
  {
    OneOp m({3, 9, 9});
    auto* p = m.b.Node("GlobalAveragePool", "gap", {m.x});
    ExpectClose(RunImported(m.Finish(p->output(0)), x), x.mean({2, 3}));
  }
}

TEST(OnnxImportOps, ReshapeTo2dAndAddAndSkippedNodes) {
  torch::manual_seed(7);
  OneOp m({2, 3, 3});
  auto w1 = torch::randn({2, 2, 1, 1}), w2 = torch::randn({2, 2, 3, 3});
  auto* c1 = m.b.Node("Conv", "c1", {m.x, m.b.Initializer("w1", w1)});
  auto* c2 = m.b.Node("Conv", "c2", {m.x, m.b.Initializer("w2", w2)});
  SetInts(c2, "pads", {1, 1, 1, 1});
  auto* d = m.b.Node("Dropout", "drop", {c2->output(0)}, 2);  // mask output unused
  auto* add = m.b.Node("Add", "res", {c1->output(0), d->output(0)});
  auto* id = m.b.Node("Identity", "id", {add->output(0)});
  auto* r = m.b.Node("Reshape", "reshape", {id->output(0), m.b.Constant(torch::tensor({0, -1}, torch::kLong))});
  auto* r2 = m.b.Node("Reshape", "reshape2", {r->output(0), m.b.Initializer("s", torch::tensor({-1, 18}, torch::kLong))});
  m.b.Output(r2->output(0));
  auto x = torch::randn({2, 2, 3, 3});
  ImportedModel model;
  auto y = RunImported(m.b.Bytes(), x, &model);
  ExpectClose(y, (torch::conv2d(x, w1) + torch::conv2d(x, w2, {}, 1, 1)).flatten(1));
  for (const auto& n : model.graph.nodes) EXPECT_NE(n.op, Op::kIdentity) << n.name;
  EXPECT_EQ(model.classes, 18);
}

// --- zoo twins -----------------------------------------------------------------------------

void RandomizeBn(NetworkImpl& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters(false)) {
    if (p.key().find("_gamma") != std::string::npos) p.value().uniform_(0.5, 1.5);
    if (p.key().find("_beta") != std::string::npos) p.value().normal_(0, 0.1);
  }
  for (auto& p : net.named_buffers(false)) {
    if (p.key().find("_running_mean") != std::string::npos) p.value().normal_(0, 0.1);
    if (p.key().find("_running_var") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
}

void ExpectZooTwin(const std::string& zoo, std::vector<int64_t> shape, double width) {
  torch::manual_seed(11);
  auto graph = BuildZooModel(zoo, shape, 10, width);
  ASSERT_TRUE(graph.ok()) << graph.status();
  Network twin(*graph, NetworkOptions{});
  RandomizeBn(*twin);
  twin->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
  twin->eval();
  const std::string bytes = GraphToOnnx(*twin);
  auto x = torch::randn({4, shape[0], shape[1], shape[2]});
  torch::Tensor expect;
  {
    torch::NoGradGuard no_grad;
    expect = twin->forward(x);
  }
  ImportedModel model;
  auto y = RunImported(bytes, x, &model);
  ExpectClose(y, expect, 1e-5);
  EXPECT_EQ(model.graph.Layers().size(), graph->Layers().size());
  EXPECT_EQ(model.input_shape, shape);
  EXPECT_EQ(model.classes, 10);
  // The BN folding the search starts from treats both alike.
  Network imported(model.graph, NetworkOptions{});
  ASSERT_TRUE(LoadImportedWeights(model, *imported).ok());
  Network f1 = FoldBatchNorm(*twin), f2 = FoldBatchNorm(*imported);
  f1->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
  f2->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
  torch::NoGradGuard no_grad;
  ExpectClose(f1->forward(x), f2->forward(x), 1e-5);
}

TEST(OnnxZooTwin, Lenet5GivesTheSameLogits) { ExpectZooTwin("lenet5", {1, 28, 28}, 1.0); }
TEST(OnnxZooTwin, Resnet8GivesTheSameLogits) { ExpectZooTwin("resnet8", {3, 32, 32}, 1.0); }
TEST(OnnxZooTwin, MobileNetV2GivesTheSameLogits) { ExpectZooTwin("mobilenetv2", {3, 32, 32}, 0.25); }

TEST(OnnxImport, TorchExportLayoutWithInitializersListedAsInputsAndFoldedBn) {
  torch::manual_seed(12);
  OnnxBuilder b(11);
  auto x = b.Input("input.1", {1, 3, 8, 8});  // a fixed batch of 1, as a plain export writes it
  auto w = torch::randn({4, 3, 3, 3}), bias = torch::randn({4});
  b.Input("features.0.weight", {4, 3, 3, 3});  // IR < 4 style: initializers are inputs too
  auto* conv = b.Node("Conv", "/features/features.0/Conv",
                      {x, b.Initializer("features.0.weight", w), b.Initializer("features.0.bias", bias)});
  SetInts(conv, "pads", {1, 1, 1, 1});
  auto* clip = b.Node("Clip", "/features/features.2/Clip",
                      {conv->output(0), b.Constant(torch::tensor(0.f)), b.Constant(torch::tensor(6.f))});
  auto* gap = b.Node("GlobalAveragePool", "/GlobalAveragePool", {clip->output(0)});
  auto* fl = b.Node("Flatten", "/Flatten", {gap->output(0)});
  auto fw = torch::randn({10, 4}), fb = torch::randn({10});
  auto* fc = b.Node("Gemm", "/classifier/Gemm", {fl->output(0), b.Initializer("fc.w", fw), b.Initializer("fc.b", fb)});
  SetInt(fc, "transB", 1);
  b.Output(fc->output(0));
  auto in = torch::randn({1, 3, 8, 8});
  auto ref = torch::linear(torch::clamp(torch::conv2d(in, w, bias, 1, 1), 0, 6).mean({2, 3}), fw, fb);
  ExpectClose(RunImported(b.Bytes(), in), ref);
}

// --- malformed inputs ----------------------------------------------------------------------

std::string SmallModel(OnnxBuilder* b) {
  auto x = b->Input("x", {-1, 1, 4, 4});
  auto* c = b->Node("Conv", "conv", {x, b->Initializer("w", torch::ones({2, 1, 3, 3})),
                                     b->Initializer("b", torch::zeros({2}))});
  auto* f = b->Node("Flatten", "flat", {c->output(0)});
  b->Output(f->output(0));
  return b->Bytes();
}

std::string ImportError(const std::string& bytes) {
  auto m = ImportOnnxBytes(bytes);
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : std::string(m.status().message());
}

TEST(OnnxImportErrors, NotOnnx) {
  EXPECT_THAT(ImportError("this is a README, not a model\n"), HasSubstr("not an ONNX model"));
  EXPECT_THAT(ImportError(std::string("\x89PNG\r\n\x1a\n", 8)), HasSubstr("not an ONNX model"));
  EXPECT_THAT(ImportError(""), HasSubstr("empty"));
}

TEST(OnnxImportErrors, Truncated) {
  OnnxBuilder b;
  std::string bytes = SmallModel(&b);
  ASSERT_TRUE(ImportOnnxBytes(bytes).ok());
  for (size_t cut : {bytes.size() / 2, bytes.size() - 3}) {
    EXPECT_THAT(ImportError(bytes.substr(0, cut)), HasSubstr("truncated")) << cut;
  }
}

TEST(OnnxImportErrors, MissingFile) {
  auto m = ImportOnnxFile("/nonexistent/model.onnx");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
}

TEST(OnnxImportErrors, Cycle) {
  OnnxBuilder b;
  auto x = b.Input("x", {-1, 1, 4, 4});
  auto* add = b.Node("Add", "add", {x, "relu_output_0"});
  b.Node("Relu", "relu", {add->output(0)});
  b.Output("relu_output_0");
  std::string e = ImportError(b.Bytes());
  EXPECT_THAT(e, HasSubstr("cycle"));
  EXPECT_THAT(e, HasSubstr("'add' (Add)"));
  EXPECT_THAT(e, HasSubstr("'relu' (Relu)"));
}

TEST(OnnxImportErrors, InitializerDataDoesNotMatchItsDims) {
  OnnxBuilder b;
  SmallModel(&b);
  auto* w = b.model().mutable_graph()->mutable_initializer(0);
  w->set_raw_data(w->raw_data().substr(0, 4 * 10));  // 10 of 18 floats
  std::string e = ImportError(b.Bytes());
  EXPECT_THAT(e, HasSubstr("tensor 'w'"));
  EXPECT_THAT(e, HasSubstr("[2, 1, 3, 3] hold 18 values but its data holds 10"));
}

TEST(OnnxImportErrors, InitializerShapeDoesNotFitTheNode) {
  {
    OnnxBuilder b;
    SmallModel(&b);
    *b.model().mutable_graph()->mutable_initializer(1) = TensorToProto("b", torch::zeros({3}));
    std::string e = ImportError(b.Bytes());
    EXPECT_THAT(e, HasSubstr("node 'conv' (Conv): bias 'b' has shape [3], expected [2]"));
  }
  {
    OnnxBuilder b;
    SmallModel(&b);
    *b.model().mutable_graph()->mutable_initializer(0) = TensorToProto("w", torch::zeros({2, 3, 3, 3}));
    std::string e = ImportError(b.Bytes());
    EXPECT_THAT(e, HasSubstr("node 'conv' (Conv): weight 'w' has shape [2, 3, 3, 3]"));
    EXPECT_THAT(e, HasSubstr("input has 1 channels"));
  }
}

TEST(OnnxImportErrors, ExternalData) {
  OnnxBuilder b;
  SmallModel(&b);
  auto* w = b.model().mutable_graph()->mutable_initializer(0);
  w->clear_raw_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = w->add_external_data();
  kv->set_key("location");
  kv->set_value("weights.bin");
  std::string e = ImportError(b.Bytes());
  EXPECT_THAT(e, HasSubstr("tensor 'w' keeps its data in an external file"));
}

TEST(OnnxImportErrors, UnsupportedOperatorsListedWithTheirNodes) {
  OnnxBuilder b;
  auto x = b.Input("x", {-1, 1, 4, 4});
  auto* s = b.Node("Sigmoid", "gate", {x});
  auto* m1 = b.Node("Mul", "scale1", {x, s->output(0)});
  auto* m2 = b.Node("Mul", "scale2", {m1->output(0), s->output(0)});
  auto* f = b.Node("Flatten", "flat", {m2->output(0)});
  b.Output(f->output(0));
  std::string e = ImportError(b.Bytes());
  EXPECT_THAT(e, HasSubstr("unsupported ONNX operators, nothing was imported"));
  EXPECT_THAT(e, HasSubstr("Mul (nodes scale1, scale2)"));
  EXPECT_THAT(e, HasSubstr("Sigmoid (node gate)"));
}

TEST(OnnxImportErrors, OpsetOutOfRange) {
  for (int opset : {9, 18}) {
    OnnxBuilder b(opset);
    EXPECT_THAT(ImportError(SmallModel(&b)), HasSubstr(absl::StrCat("uses opset ", opset)));
  }
}

TEST(OnnxImportErrors, UnsupportedAttributesNameTheNode) {
  OnnxBuilder b;
  auto x = b.Input("x", {-1, 1, 4, 4});
  auto* c = b.Node("Conv", "conv", {x, b.Initializer("w", torch::ones({2, 1, 3, 3}))});
  SetInts(c, "pads", {1, 1, 0, 0});
  b.Output(b.Node("Flatten", "flat", {c->output(0)})->output(0));
  EXPECT_THAT(ImportError(b.Bytes()), HasSubstr("node 'conv' (Conv): asymmetric pads"));
}

}  // namespace
}  // namespace bitsearch
