// Gradient-L1 training: the penalty is the L1 norm of the true gradients (checked against finite
// differences on a tiny network), the loss adds exactly lambda times it, and its own gradient
// (double backprop) is the derivative of that loss.
#include "search/grad_l1.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace bitsearch {
namespace {

// input [1, 5, 5] -> conv 1->2 3x3 -> ReLU -> flatten (18) -> linear 18 -> 3, in double precision.
Network TinyNet() {
  Graph g;
  Node in;
  in.op = Op::kInput;
  in.name = "input";
  g.Add(in);
  Node conv;
  conv.op = Op::kConv;
  conv.name = "conv";
  conv.inputs = {0};
  conv.in_channels = 1;
  conv.out_channels = 2;
  conv.kernel_h = conv.kernel_w = 3;
  int c = g.Add(conv);
  Node relu;
  relu.op = Op::kReLU;
  relu.name = "relu";
  relu.inputs = {c};
  int r = g.Add(relu);
  Node flat;
  flat.op = Op::kFlatten;
  flat.name = "flat";
  flat.inputs = {r};
  int f = g.Add(flat);
  Node fc;
  fc.op = Op::kLinear;
  fc.name = "fc";
  fc.inputs = {f};
  fc.in_channels = 18;
  fc.out_channels = 3;
  g.output = g.Add(fc);
  EXPECT_TRUE(InferShapes(g, {1, 5, 5}).ok());
  torch::manual_seed(7);
  Network net(g, NetworkOptions{});
  net->SetQuantMode(QuantMode::kBypass);
  net->to(torch::kDouble);
  return net;
}

// Central finite difference of f at every element of `t` (modified in place and restored). The
// edits are made without autograd recording them; f itself runs with autograd on, since the
// penalised loss differentiates the cross-entropy.
torch::Tensor NumericGradient(torch::Tensor t, const std::function<double()>& f, double h = 1e-6) {
  auto set = [&t](int64_t i, double v) {
    torch::NoGradGuard no_grad;
    t.view(-1)[i] = v;
  };
  std::vector<double> g(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = t.view(-1)[i].item<double>();
    set(i, v + h);
    const double up = f();
    set(i, v - h);
    const double down = f();
    set(i, v);
    g[i] = (up - down) / (2 * h);
  }
  return torch::tensor(g, torch::kDouble).view(t.sizes());
}

struct Batch {
  torch::Tensor x, y;
};

Batch TinyBatch() {
  torch::manual_seed(8);
  return {torch::randn({4, 1, 5, 5}, torch::kDouble), torch::tensor({0, 2, 1, 2}, torch::kLong)};
}

double Ce(NetworkImpl& net, const Batch& b) {
  torch::NoGradGuard no_grad;
  return torch::cross_entropy_loss(net.forward(b.x), b.y).item<double>();
}

TEST(GradL1Test, TermsAreTheL1NormsOfTheTrueGradients) {
  Network net = TinyNet();
  const Batch b = TinyBatch();
  GradL1Loss loss = ComputeGradL1Loss(*net, b.x, b.y, {0.5, 0.25});

  double weight_l1 = 0;
  for (const auto& l : net->layer_quants()) {
    weight_l1 += NumericGradient(net->weight(l.node), [&] { return Ce(*net, b); }).abs().sum().item<double>();
  }
  EXPECT_NEAR(loss.weight_l1.item<double>(), weight_l1, 1e-6 * weight_l1);

  // The one activation a quantizer sees besides the input: the linear layer's input
  // y = flatten(relu(conv(x))); from there logits = y W^T + b.
  torch::Tensor y;
  {
    torch::NoGradGuard no_grad;
    ASSERT_EQ(net->act_quantizers().size(), 2u);
    y = net->ForwardValues(b.x)[net->act_producer(1)].clone();
  }
  const int fc = net->layer_quants()[1].node;
  auto ce_from_y = [&] {
    torch::NoGradGuard no_grad;
    auto logits = torch::linear(y, net->weight(fc), net->bias(fc));
    return torch::cross_entropy_loss(logits, b.y).item<double>();
  };
  const double act_l1 = NumericGradient(y, ce_from_y).abs().sum().item<double>();
  EXPECT_GT(act_l1, 0);
  EXPECT_NEAR(loss.act_l1.item<double>(), act_l1, 1e-6 * act_l1);

  // The documented cost: CE plus lambda times each term, nothing else.
  EXPECT_NEAR(loss.ce.item<double>(), Ce(*net, b), 1e-12);
  EXPECT_NEAR(loss.total.item<double>(), Ce(*net, b) + 0.5 * weight_l1 + 0.25 * act_l1, 1e-6);
}

TEST(GradL1Test, DoubleBackpropIsTheDerivativeOfThePenalisedLoss) {
  Network net = TinyNet();
  const Batch b = TinyBatch();
  const GradL1Strength strength{0.5, 0.25};
  for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();
  ComputeGradL1Loss(*net, b.x, b.y, strength).total.backward();
  std::vector<torch::Tensor> analytic;
  for (const auto& l : net->layer_quants()) analytic.push_back(net->weight(l.node).grad().clone());
  auto total = [&] {
    // The penalised loss itself needs gradients (of CE), so autograd stays on here;
    // autograd::grad does not accumulate into .grad.
    return ComputeGradL1Loss(*net, b.x, b.y, strength).total.item<double>();
  };
  for (size_t i = 0; i < analytic.size(); ++i) {
    // Perturb through .data() so autograd does not record the edits.
    torch::Tensor numeric = NumericGradient(net->weight(net->layer_quants()[i].node).data(), total);
    EXPECT_TRUE(torch::allclose(analytic[i], numeric, 1e-4, 1e-6))
        << "layer " << i << " max diff " << (analytic[i] - numeric).abs().max().item<double>();
  }
  // And with both strengths at zero it is exactly plain cross-entropy.
  GradL1Loss plain = ComputeGradL1Loss(*net, b.x, b.y, {0, 0});
  EXPECT_DOUBLE_EQ(plain.total.item<double>(), Ce(*net, b));
}

TEST(GradL1Test, PenaltyChangesTheWeightGradient) {
  Network net = TinyNet();
  const Batch b = TinyBatch();
  torch::Tensor w = net->weight(net->layer_quants()[0].node);
  ComputeGradL1Loss(*net, b.x, b.y, {0, 0}).total.backward();
  torch::Tensor plain = w.grad().clone();
  w.mutable_grad() = torch::Tensor();
  ComputeGradL1Loss(*net, b.x, b.y, {0.5, 0.25}).total.backward();
  EXPECT_GT((w.grad() - plain).abs().max().item<double>(), 1e-6);
}

}  // namespace
}  // namespace bitsearch
