// The FracBits quantizer behind the seam: it searches with the blend, starts off the grid, stays
// inside its limits, and once fixed (or decided) is the grid quantizer at a grid width.
#include "search/methods/fracbits/fracbits_quantizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/methods/fracbits/blend.h"

namespace bitsearch::fracbits {
namespace {

FracBitsQuantizer WeightQuantizer(int max_bits, const torch::Tensor& w) {
  QuantizerConfig config;
  config.is_weight = true;
  config.channels = w.size(0);
  config.prunable = true;  // FracBits never prunes, whatever it is offered
  config.max_bits = max_bits;
  FracBitsQuantizer q(config);
  q->InitRange(w);
  return q;
}

torch::Tensor Weights() {
  torch::manual_seed(11);
  return torch::randn({4, 3, 3, 3});
}

TEST(FracBitsQuantizerTest, StartsJustBelowTheTopWidthOffTheGrid) {
  const torch::Tensor w = Weights();
  FracBitsQuantizer q = WeightQuantizer(8, w);
  EXPECT_NEAR(q->bits.item<float>(), 7.6f, 1e-6);  // a tenth of the 4..8 interval below 8
  EXPECT_TRUE(q->is_signed());
  EXPECT_FLOAT_EQ(q->clip_max(), w.max().item<float>());
  EXPECT_FALSE(q->config().prunable);
  EXPECT_EQ(q->DecidedKeep(), std::vector<uint8_t>(4, 1));
}

TEST(FracBitsQuantizerTest, SearchesWithTheBlendAndItsWidthReceivesAGradient) {
  const torch::Tensor w = Weights();
  FracBitsQuantizer q = WeightQuantizer(8, w);
  q->set_mode(QuantMode::kBypass);
  EXPECT_TRUE(torch::equal(q->forward(w), w));
  q->set_mode(QuantMode::kSearch);
  torch::Tensor out = q->forward(w);
  EXPECT_TRUE(torch::allclose(out, BlendedQuantize(w, q->x_max, q->bits, true), 0, 1e-7));
  (out * torch::randn_like(w)).sum().backward();
  ASSERT_EQ(q->MethodParameters().size(), 1u);
  EXPECT_NE(q->bits.grad().item<float>(), 0);
}

TEST(FracBitsQuantizerTest, FixedIsTheGridQuantizer) {
  const torch::Tensor w = Weights();
  FracBitsQuantizer q = WeightQuantizer(8, w);
  q->FixBits(4);
  EXPECT_EQ(q->mode(), QuantMode::kFixed);
  EXPECT_EQ(q->DecidedBits(), 4);
  EXPECT_TRUE(torch::equal(q->forward(w), GridQuantize(w, q->x_max, 4, true)));
  q->FixBits(0);
  EXPECT_EQ(q->forward(w).abs().sum().item<float>(), 0);
}

TEST(FracBitsQuantizerTest, DecidesTheNearestGridWidthOnTheGridScale) {
  FracBitsQuantizer q = WeightQuantizer(16, Weights());
  q->set_mode(QuantMode::kSearch);
  torch::NoGradGuard no_grad;
  q->bits.fill_(5.9);  // grid position 1.475: 4
  EXPECT_EQ(q->DecidedBits(), 4);
  q->bits.fill_(6.1);  // 1.525: 8
  EXPECT_EQ(q->DecidedBits(), 8);
  q->bits.fill_(11.9);  // 2.4875: 8
  EXPECT_EQ(q->DecidedBits(), 8);
}

TEST(FracBitsQuantizerTest, StepsStayInsideTheLimitsOffTheirEnds) {
  FracBitsQuantizer q = WeightQuantizer(8, Weights());
  {
    torch::NoGradGuard no_grad;
    q->bits.fill_(1.0);
  }
  q->AfterStep();
  EXPECT_NEAR(q->bits.item<float>(), 2.01f, 1e-6);
  {
    torch::NoGradGuard no_grad;
    q->bits.fill_(9.0);
  }
  q->AfterStep();
  EXPECT_NEAR(q->bits.item<float>(), 7.99f, 1e-6);
  q->set_min_bits(8);  // a layer kept at 8 bits when 8 is also the top: exactly 8
  EXPECT_FLOAT_EQ(q->bits.item<float>(), 8.0f);
  EXPECT_EQ(q->DecidedBits(), 8);
}

TEST(FracBitsQuantizerTest, DistributionIsTheBlendsStepUpProbabilities) {
  FracBitsQuantizer q = WeightQuantizer(16, Weights());
  q->set_mode(QuantMode::kSearch);
  {
    torch::NoGradGuard no_grad;
    q->bits.fill_(6.0);  // half 4, half 8
  }
  torch::Tensor step_up = q->Distribution().step_up;
  ASSERT_EQ(step_up.numel(), 4);
  EXPECT_NEAR(step_up[0].item<float>(), 1.0f, 1e-6);  // P(>= 4)
  EXPECT_NEAR(step_up[1].item<float>(), 0.5f, 1e-6);  // P(>= 8 | >= 4)
  EXPECT_NEAR(step_up[2].item<float>(), 0.0f, 1e-6);  // P(>= 16 | >= 8)
  EXPECT_NEAR(step_up[3].item<float>(), 0.0f, 1e-6);  // 32 is off FracBits' grid
}

TEST(FracBitsQuantizerTest, PerChannelWidthsStartAtTheTensorsWidth) {
  const torch::Tensor w = Weights();
  FracBitsQuantizer q = WeightQuantizer(8, w);
  q->set_per_channel(true);
  ASSERT_TRUE(q->per_channel());
  EXPECT_TRUE(torch::allclose(q->channel_bits, torch::full({4}, q->bits.item<float>())));
  EXPECT_TRUE(q->MethodParameters()[0].is_same(q->channel_bits));
  q->set_mode(QuantMode::kSearch);
  {
    torch::NoGradGuard no_grad;
    q->channel_bits.copy_(torch::tensor({2.5f, 3.5f, 5.0f, 7.0f}));
  }
  torch::Tensor out = q->forward(w);
  EXPECT_TRUE(torch::allclose(out, BlendedQuantize(w, q->x_max, q->channel_bits, true), 0, 1e-7));
  out.sum().backward();
  EXPECT_EQ(q->channel_bits.grad().numel(), 4);
}

}  // namespace
}  // namespace bitsearch::fracbits
