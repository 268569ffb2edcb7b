// AdaRound, one layer: the soft weight starts at the float weight, beta anneals as the paper
// says, and the learned hard rounding reconstructs the layer's output better than nearest.
#include "search/ptq/adaround.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/ptq/grid.h"
#include "search/ptq/range_setting.h"

namespace bitsearch {
namespace {

TEST(AdaRoundTest, SoftWeightStartsAtTheFloatWeight) {
  torch::manual_seed(1);
  torch::Tensor w = torch::randn({8, 4, 3, 3});
  // Wide enough that no weight lies beyond the grid's top level (those clamp).
  torch::Tensor x_max = torch::tensor(1.2f * w.abs().max().item<float>());
  torch::Tensor step = GridStep(x_max, 4, true);
  torch::Tensor v = InitRoundingVariables(w, step);
  torch::Tensor h = RectifiedSigmoid(v);
  EXPECT_TRUE(torch::allclose(h, w / step - torch::floor(w / step), 0, 1e-5));
  EXPECT_TRUE(torch::allclose(RoundedWeight(w, step, h, 4, true), w, 0, 1e-5));
  // Hard rounding with h = fractional part >= 0.5 is nearest rounding.
  torch::Tensor up = (h >= 0.5).to(torch::kFloat);
  EXPECT_TRUE(torch::allclose(RoundedWeight(w, step, up, 4, true), FakeQuantize(w, x_max, 4, true), 0, 1e-6));
}

TEST(AdaRoundTest, BetaAnnealsFromTwentyToTwoAfterTheWarmStart) {
  AdaRoundOptions o;
  EXPECT_DOUBLE_EQ(AnnealedBeta(0, 1000, o), 20.0);
  EXPECT_DOUBLE_EQ(AnnealedBeta(200, 1000, o), 20.0);
  EXPECT_NEAR(AnnealedBeta(600, 1000, o), 11.0, 1e-9);
  EXPECT_DOUBLE_EQ(AnnealedBeta(1000, 1000, o), 2.0);
  // The regulariser is 0 for a decided h and largest at h = 0.5.
  EXPECT_NEAR(RoundingRegularizer(torch::tensor({-100.0f, 100.0f}), 2.0).item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(RoundingRegularizer(torch::zeros({1}), 2.0).item<float>(), 1.0f, 1e-6);
}

TEST(AdaRoundTest, LearnedRoundingBeatsNearestOnAConvWithRelu) {
  torch::manual_seed(2);
  Graph g;
  Node in;
  in.op = Op::kInput;
  in.name = "input";
  g.Add(in);
  Node conv;
  conv.op = Op::kConv;
  conv.name = "conv";
  conv.inputs = {0};
  conv.in_channels = 8;
  conv.out_channels = 16;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_h = conv.pad_w = 1;
  const int c = g.Add(conv);
  Node relu;
  relu.op = Op::kReLU;
  relu.name = "relu";
  relu.inputs = {c};
  g.output = g.Add(relu);

  RoundingProblem p;
  p.function = LayerFunctionOf(g, c);
  EXPECT_EQ(p.function.activation, Op::kReLU);
  p.weight = torch::randn({16, 8, 3, 3}) * 0.2;
  p.bias = torch::randn({16}) * 0.1;
  p.bits = 4;
  p.is_signed = true;
  p.x_max = torch::tensor(ChooseWeightRange(p.weight, RangeMethod::kMse, 4));
  p.float_inputs = torch::relu(torch::randn({256, 8, 8, 8}));
  p.inputs = p.float_inputs + 0.01 * torch::randn({256, 8, 8, 8});  // earlier layers' rounding
  AdaRoundOptions o;
  o.iterations = 400;
  int64_t calls = 0;
  RoundingOutcome out = OptimizeRounding(p, o, [&](int64_t, double) { return ++calls > 0; });
  EXPECT_EQ(calls, 4);  // every 100 iterations
  EXPECT_FALSE(out.stopped);
  EXPECT_LT(out.error_adaround, 0.8 * out.error_nearest);
  EXPECT_GT(out.changed_fraction, 0.0);
  EXPECT_EQ(out.up.sizes(), p.weight.sizes());
  EXPECT_TRUE(((out.up == 0) | (out.up == 1)).all().item<bool>());

  // A progress callback that answers false (a cancelled job) stops it at that report.
  int64_t last = 0;
  RoundingOutcome stopped = OptimizeRounding(p, o, [&](int64_t it, double) {
    last = it;
    return false;
  });
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(last, 100);
  EXPECT_FALSE(stopped.up.defined());
}

}  // namespace
}  // namespace bitsearch
