// Range setting: the grid matches the Bayesian Bits quantizer's, and min-max, MSE and percentile
// choose what they promise.
#include "search/ptq/range_setting.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "search/bb_kernel.h"
#include "search/ptq/grid.h"

namespace bitsearch {
namespace {

double Mse(const torch::Tensor& x, float x_max, int bits, bool is_signed) {
  return (FakeQuantize(x, torch::tensor(x_max), bits, is_signed) - x).pow(2).mean().item<double>();
}

TEST(GridTest, FakeQuantizeIsTheBayesianBitsGridAtFixedBits) {
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({4096}) * 2;
  for (bool is_signed : {true, false}) {
    for (int bits : {2, 4, 8, 16}) {
      torch::Tensor zs = torch::tensor({bits >= 4 ? 1.0f : 0.0f, bits >= 8 ? 1.0f : 0.0f,
                                        bits >= 16 ? 1.0f : 0.0f, 0.0f});
      torch::Tensor x_max = torch::tensor(1.7f);
      torch::Tensor bb = BBQuantize(x, x_max, torch::ones({1}), zs, is_signed);
      torch::Tensor ours = FakeQuantize(x, x_max, bits, is_signed);
      // Identical up to 8 bits; at 16 the residual sum's float error moves some values by a step.
      const float tol = bits <= 8 ? 1e-6f * 1.7f : 1.01f * GridStep(1.7f, bits, is_signed);
      EXPECT_LE((bb - ours).abs().max().item<float>(), tol) << bits << " " << is_signed;
      // 2^b - 1 symmetric levels (signed) or 2^b levels from 0 (unsigned).
      torch::Tensor codes = torch::round(ours / GridStep(1.7f, bits, is_signed));
      EXPECT_EQ(codes.min().item<float>(), static_cast<float>(GridQmin(bits, is_signed)));
      EXPECT_EQ(codes.max().item<float>(), static_cast<float>(GridQmax(bits, is_signed)));
    }
  }
}

// A signed grid's clip bound sits half a step above its top integer (x_max / s = 2^(b-1) - 1/2),
// so a clipped value divided by the float step can round up past the top by float error. Whatever
// x_max, the integers stay those the export writes: [-(2^(b-1) - 1), 2^(b-1) - 1].
TEST(GridTest, ClippedValuesStayOnTheGridsIntegersForEveryRange) {
  torch::Tensor x_max = torch::logspace(-3, 3, 3001);
  for (int bits : {2, 4, 8}) {
    int64_t bb_over = 0;
    for (int64_t k = 0; k < x_max.size(0); ++k) {
      const float xm = x_max[k].item<float>();
      torch::Tensor x = torch::tensor({-10 * xm, -xm, xm, 10 * xm});
      const float s = GridStep(xm, bits, true);
      torch::Tensor codes = torch::round(FakeQuantize(x, torch::tensor(xm), bits, true) / s);
      ASSERT_LE(codes.abs().max().item<float>(), static_cast<float>(GridQmax(bits, true)))
          << bits << " bits, x_max " << xm;
      torch::Tensor zs = torch::tensor({bits >= 4 ? 1.0f : 0.0f, bits >= 8 ? 1.0f : 0.0f, 0.0f, 0.0f});
      torch::Tensor bb = BBQuantize(x, torch::tensor(xm), torch::ones({1}), zs, true);
      bb_over += (torch::round(bb / s).abs() > GridQmax(bits, true)).sum().item<int64_t>();
    }
    std::cout << bits << " bits: the Bayesian Bits kernel put " << bb_over
              << " clipped values past the top integer over " << x_max.size(0) << " ranges\n";
  }
}

TEST(RangeSettingTest, MinMaxTakesTheExtreme) {
  torch::Tensor x = torch::tensor({-3.0f, 0.5f, 2.0f});
  RangeStatistics s;
  s.ObserveExtremes(x);
  EXPECT_TRUE(s.is_signed());
  EXPECT_FLOAT_EQ(s.Choose(RangeMethod::kMinMax, 4), 3.0f);
  RangeStatistics u;
  u.ObserveExtremes(torch::tensor({0.0f, 0.25f}));
  u.ObserveExtremes(torch::tensor({1.5f}));
  EXPECT_FALSE(u.is_signed());
  EXPECT_FLOAT_EQ(u.Choose(RangeMethod::kMinMax, 8), 1.5f);
  RangeStatistics z;
  z.ObserveExtremes(torch::zeros({5}));
  z.ObserveHistogram(torch::zeros({5}));
  EXPECT_FLOAT_EQ(z.Choose(RangeMethod::kMse, 4), 1e-6f);
}

TEST(RangeSettingTest, MseClipsHeavyTailsAndBeatsMinMaxAtFourBits) {
  torch::manual_seed(2);
  // Two batches, as calibration feeds them: Gaussian with a few large outliers.
  torch::Tensor a = torch::randn({20000}), b = torch::randn({20000});
  b[0] = 12.0f;
  RangeStatistics s;
  for (const auto& t : {a, b}) s.ObserveExtremes(t);
  for (const auto& t : {a, b}) s.ObserveHistogram(t);
  torch::Tensor all = torch::cat({a, b});
  const float mse = s.Choose(RangeMethod::kMse, 4), mm = s.Choose(RangeMethod::kMinMax, 4);
  EXPECT_LT(mse, mm / 2);
  EXPECT_LT(Mse(all, mse, 4, true), 0.5 * Mse(all, mm, 4, true));
  // The histogram's expected error tracks the exact one, and the chosen range is within 2% of
  // the error of the best of 400 exactly evaluated candidates.
  EXPECT_NEAR(s.ExpectedError(mse, 4), Mse(all, mse, 4, true), 0.05 * Mse(all, mse, 4, true));
  double best = 1e9;
  for (int k = 1; k <= 400; ++k) best = std::min(best, Mse(all, 12.0f * k / 400, 4, true));
  EXPECT_LT(Mse(all, mse, 4, true), 1.02 * best);
  // At 8 bits the best range clips less.
  EXPECT_GT(s.Choose(RangeMethod::kMse, 8), mse);
}

TEST(RangeSettingTest, MseOnUnsignedActivationsWithManyZeros) {
  torch::manual_seed(3);
  torch::Tensor x = torch::relu(torch::randn({50000}));  // half exact zeros, as after a ReLU
  RangeStatistics s;
  s.ObserveExtremes(x);
  s.ObserveHistogram(x);
  EXPECT_FALSE(s.is_signed());
  const float r = s.Choose(RangeMethod::kMse, 4);
  double best = 1e9;
  const float top = x.max().item<float>();
  for (int k = 1; k <= 400; ++k) best = std::min(best, Mse(x, top * k / 400, 4, false));
  EXPECT_LT(Mse(x, r, 4, false), 1.02 * best);
}

TEST(RangeSettingTest, PercentileOfUniformData) {
  torch::manual_seed(4);
  torch::Tensor x = torch::rand({200000});
  RangeStatistics s;
  s.ObserveExtremes(x);
  s.ObserveHistogram(x);
  EXPECT_NEAR(s.Choose(RangeMethod::kPercentile, 8, 99.9), 0.999, 2e-3);
  EXPECT_NEAR(s.Choose(RangeMethod::kPercentile, 8, 50.0), 0.5, 5e-3);
}

TEST(RangeSettingTest, PerChannelRangesFollowEachChannel) {
  torch::manual_seed(5);
  torch::Tensor scale = torch::tensor({0.01f, 1.0f, 100.0f}).view({3, 1, 1, 1});
  torch::Tensor w = torch::randn({3, 4, 3, 3}) * scale;
  torch::Tensor mm = ChooseWeightRangePerChannel(w, RangeMethod::kMinMax, 4);
  EXPECT_TRUE(torch::allclose(mm, w.abs().flatten(1).amax(1)));
  torch::Tensor mse = ChooseWeightRangePerChannel(w, RangeMethod::kMse, 4);
  EXPECT_TRUE((mse <= mm * (1 + 1e-6)).all().item<bool>());
  // Per channel, the small channels keep their information; per tensor they round to zero.
  const float per_tensor = ChooseWeightRange(w, RangeMethod::kMse, 4);
  auto err_c = (FakeQuantize(w, mse, 4, true) - w).pow(2).flatten(1).sum(1);
  auto err_t = (FakeQuantize(w, torch::tensor(per_tensor), 4, true) - w).pow(2).flatten(1).sum(1);
  EXPECT_LT(err_c[0].item<float>(), 0.1f * err_t[0].item<float>());
  EXPECT_LE(err_c.sum().item<float>(), err_t.sum().item<float>());
}

}  // namespace
}  // namespace bitsearch
