// The blended quantizer equals the grid quantizer at grid widths, its bit-width gradient matches
// finite differences between them, and the expected cost matches a hand computation.
#include "search/methods/fracbits/blend.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/methods/fracbits/expected_cost.h"

namespace bitsearch::fracbits {
namespace {

struct Case {
  torch::Tensor x;
  torch::Tensor x_max;
  bool is_signed;
};

std::vector<Case> Cases() {
  torch::manual_seed(5);
  return {{torch::randn({6, 3, 3, 3}), torch::tensor(1.7f), true},        // conv weights
          {torch::rand({8, 6, 5, 5}) * 2.0, torch::tensor(1.3f), false}};  // activations (clipped)
}

TEST(FracBitsBlendTest, EqualsTheGridQuantizerAtGridWidths) {
  for (const Case& c : Cases()) {
    for (int b : {2, 4, 8, 16}) {
      torch::Tensor grid = GridQuantize(c.x, c.x_max, b, c.is_signed);
      torch::Tensor blended = BlendedQuantize(c.x, c.x_max, torch::tensor(float(b)), c.is_signed);
      EXPECT_TRUE(torch::equal(grid, blended)) << b << " bits";
      // Per output channel, every channel at b.
      torch::Tensor per_channel =
          BlendedQuantize(c.x, c.x_max, torch::full({c.x.size(0)}, float(b)), c.is_signed);
      EXPECT_TRUE(torch::allclose(grid, per_channel, 0, 1e-6)) << b << " bits per channel";
    }
    // The grid at b bits has 2^b - 1 (signed) or 2^b levels.
    torch::Tensor q = GridQuantize(c.x, c.x_max, 2, c.is_signed);
    EXPECT_LE(std::get<0>(at::_unique(q)).numel(), c.is_signed ? 3 : 4);
  }
}

TEST(FracBitsBlendTest, IsTheLinearBlendOfItsNeighbours) {
  for (const Case& c : Cases()) {
    torch::Tensor q4 = GridQuantize(c.x, c.x_max, 4, c.is_signed);
    torch::Tensor q8 = GridQuantize(c.x, c.x_max, 8, c.is_signed);
    torch::Tensor blended = BlendedQuantize(c.x, c.x_max, torch::tensor(7.0f), c.is_signed);
    EXPECT_TRUE(torch::allclose(blended, 0.25 * q4 + 0.75 * q8, 0, 1e-6));
  }
}

// d/dbits of sum(Q * g) by autograd and by central differences, at widths between grid points.
TEST(FracBitsBlendTest, BitWidthGradientMatchesFiniteDifferences) {
  for (const Case& c : Cases()) {
    torch::Tensor g = torch::randn_like(c.x);
    for (float b : {2.6f, 3.5f, 5.5f, 7.6f, 11.0f, 15.2f}) {
      torch::Tensor bits = torch::tensor(b, torch::requires_grad());
      (BlendedQuantize(c.x, c.x_max, bits, c.is_signed) * g).sum().backward();
      const double analytic = bits.grad().item<double>();
      const float h = 1e-2f;  // the blend is linear between grid widths: any h inside works
      auto f = [&](float v) {
        torch::NoGradGuard no_grad;
        return (BlendedQuantize(c.x, c.x_max, torch::tensor(v), c.is_signed).to(torch::kDouble) *
                g.to(torch::kDouble)).sum().item<double>();
      };
      const double numeric = (f(b + h) - f(b - h)) / (2 * h);
      EXPECT_NEAR(analytic, numeric, 1e-3 * std::max(1.0, std::abs(numeric))) << b;
      // And it is (Q_hi - Q_lo) / (hi - lo) against g.
      const int lo = b < 4 ? 2 : b < 8 ? 4 : 8, hi = 2 * lo;
      const double expected = ((GridQuantize(c.x, c.x_max, hi, c.is_signed) -
                                GridQuantize(c.x, c.x_max, lo, c.is_signed)) * g).sum().item<double>() /
                              (hi - lo);
      EXPECT_NEAR(analytic, expected, 1e-4 * std::max(1.0, std::abs(expected))) << b;
      EXPECT_NE(analytic, 0.0) << b;
    }
  }
}

TEST(FracBitsBlendTest, PerChannelGradientMatchesFiniteDifferences) {
  const Case c = Cases()[0];
  torch::Tensor g = torch::randn_like(c.x);
  torch::Tensor bits = torch::tensor({2.5f, 3.3f, 5.0f, 7.9f, 9.0f, 6.1f}, torch::requires_grad());
  (BlendedQuantize(c.x, c.x_max, bits, c.is_signed) * g).sum().backward();
  for (int64_t ch = 0; ch < bits.size(0); ++ch) {
    auto f = [&](float delta) {
      torch::NoGradGuard no_grad;
      torch::Tensor b = bits.detach().clone();
      b[ch] += delta;
      return (BlendedQuantize(c.x, c.x_max, b, c.is_signed) * g).sum().item<double>();
    };
    const double numeric = (f(1e-2f) - f(-1e-2f)) / 2e-2;
    EXPECT_NEAR(bits.grad()[ch].item<double>(), numeric, 1e-3 * std::max(1.0, std::abs(numeric))) << ch;
  }
}

TEST(FracBitsBlendTest, ReachesTheRangeAndTheInput) {
  const Case c = Cases()[1];
  torch::Tensor x = c.x.clone().requires_grad_(true);
  torch::Tensor x_max = c.x_max.clone().requires_grad_(true);
  BlendedQuantize(x, x_max, torch::tensor(5.0f), c.is_signed).sum().backward();
  EXPECT_GT(x.grad().abs().sum().item<float>(), 0);
  EXPECT_NE(x_max.grad().item<float>(), 0);
}

TEST(FracBitsExpectedCostTest, MatchesAHandComputation) {
  // Layer 1: 100 MACs, weights at 3 bits (half 2, half 4), input at 8.
  // Layer 2: 300 MACs, weights at 6 (half 4, half 8), input at 12 (half 8, half 16).
  std::vector<torch::Tensor> w = {WidthProbabilities(torch::tensor(3.0f)),
                                  WidthProbabilities(torch::tensor(6.0f))};
  std::vector<torch::Tensor> a = {WidthProbabilities(torch::tensor(8.0f)),
                                  WidthProbabilities(torch::tensor(12.0f))};
  // 100 * 3 * 8 + 300 * 6 * 12 = 24,000 BOPs over 400 MACs * 1024, in percent.
  EXPECT_NEAR(ExpectedRelativeBops({100, 300}, w, a).item<double>(), 24000.0 / (400 * 1024) * 100,
              1e-6);
  // Per output channel: the channels' mean width (3 and 5 -> 4).
  std::vector<torch::Tensor> wc = {WidthProbabilities(torch::tensor({3.0f, 5.0f}))};
  EXPECT_NEAR(ExpectedRelativeBops({100}, wc, {a[0]}).item<double>(), 100.0 * 4 * 8 / (100 * 1024) * 100,
              1e-6);

  // Latency: the bilinear blend of the four entries around (a, w).
  LatencyGrid t1{}, t2{};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      t1[i][j] = 10 * i + j + 1;      // a at kGrid[i], w at kGrid[j]
      t2[i][j] = 100 + 7 * i * j;
    }
  }
  // Layer 1: a = 8 (i = 2), w half at 2 (j = 0) and half at 4 (j = 1): (21 + 22) / 2.
  // Layer 2: a half 8 / half 16 (i = 2, 3), w half 4 / half 8 (j = 1, 2):
  //   (114 + 128 + 121 + 142) / 4.
  const double expected = (21.0 + 22.0) / 2 + (114.0 + 128.0 + 121.0 + 142.0) / 4;
  EXPECT_NEAR(ExpectedLatency({t1, t2}, w, a).item<double>(), expected, 1e-4);

  // kappa |cost / target - 1|, and its gradient pulls the widths towards the target.
  torch::Tensor bits = torch::tensor(6.0f, torch::requires_grad());
  torch::Tensor cost = ExpectedRelativeBops({100}, {WidthProbabilities(bits)}, {a[0]});
  torch::Tensor reg = TargetRegularizer(cost, 2.0, 1.0);
  EXPECT_NEAR(reg.item<double>(), std::abs(cost.item<double>() / 2.0 - 1.0), 1e-6);
  reg.backward();
  EXPECT_GT(bits.grad().item<float>(), 0);  // over the target: descending lowers the width
}

}  // namespace
}  // namespace bitsearch::fracbits
