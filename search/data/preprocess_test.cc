// The preprocessing contract (per-channel statistics, explicit values) and training augmentation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "search/data/augment.h"
#include "search/data/preprocess.h"

namespace bitsearch {
namespace {

TEST(PreprocessTest, AutoMeasuresEachChannel) {
  // Channel 0 holds 10 +- 2, channel 1 holds 200 +- 20.
  torch::manual_seed(1);
  torch::Tensor raw = torch::cat({torch::randn({500, 1, 4, 4}) * 2 + 10, torch::randn({500, 1, 4, 4}) * 20 + 200}, 1);
  auto p = ResolvePreprocessing(PreprocessSpec{}, raw);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->source, "auto");
  EXPECT_NEAR(p->mean[0], 10, 0.1);
  EXPECT_NEAR(p->mean[1], 200, 1);
  EXPECT_NEAR(p->std[0], 2, 0.05);
  EXPECT_NEAR(p->std[1], 20, 0.5);
  torch::Tensor x = p->Apply(raw);
  EXPECT_NEAR(x.select(1, 1).mean().item<float>(), 0, 1e-3);
  EXPECT_NEAR(x.select(1, 1).std().item<float>(), 1, 1e-3);
}

TEST(PreprocessTest, ExplicitValuesBroadcastOrMatchChannels) {
  PreprocessSpec spec;
  spec.given = true;
  spec.automatic = false;
  spec.scale = 0.5;
  spec.mean = {1.0, 2.0, 3.0};
  spec.std = {2.0};
  torch::Tensor raw = torch::full({2, 3, 2, 2}, 10, torch::kUInt8);
  auto p = ResolvePreprocessing(spec, raw);
  ASSERT_TRUE(p.ok()) << p.status();
  torch::Tensor x = p->Apply(raw);
  EXPECT_FLOAT_EQ(x[0][0][0][0].item<float>(), (5 - 1) / 2.0f);
  EXPECT_FLOAT_EQ(x[1][2][1][1].item<float>(), (5 - 3) / 2.0f);
  EXPECT_EQ(p->ToJson()["std"], nlohmann::json({2.0, 2.0, 2.0}));
  EXPECT_EQ(p->ToJson()["source"], "spec");
}

TEST(AugmentTest, OffIsIdentityAndOnIsSeededAndShapePreserving) {
  torch::Tensor x = torch::arange(2 * 1 * 6 * 6, torch::kFloat).reshape({2, 1, 6, 6}) + 1;
  EXPECT_TRUE(AugmentBatch(x, AugmentSpec{}, 3).is_same(x));
  AugmentSpec spec;
  spec.crop_padding = 2;
  spec.horizontal_flip = true;
  torch::Tensor a = AugmentBatch(x, spec, 3), b = AugmentBatch(x, spec, 3);
  EXPECT_EQ(a.sizes(), x.sizes());
  EXPECT_TRUE(torch::equal(a, b));
  bool differs = false;
  for (uint64_t seed = 0; seed < 8 && !differs; ++seed) differs = !torch::equal(AugmentBatch(x, spec, seed), a);
  EXPECT_TRUE(differs);
}

TEST(AugmentTest, CropShiftsWithZeroPaddingAndFlipMirrors) {
  torch::Tensor x = torch::arange(64 * 1 * 5 * 5, torch::kFloat).reshape({64, 1, 5, 5}) + 1;
  AugmentSpec crop;
  crop.crop_padding = 1;
  torch::Tensor c = AugmentBatch(x, crop, 11);
  int64_t shifted = 0;
  for (int64_t i = 0; i < 64; ++i) {
    // Every crop is a window of the padded sample: its non-zero values are the sample's, in order.
    torch::Tensor kept = c[i].masked_select(c[i].ne(0));
    EXPECT_TRUE(torch::isin(kept, x[i].flatten()).all().item<bool>());
    shifted += !torch::equal(c[i], x[i]);
  }
  EXPECT_GT(shifted, 32);  // 8 of 9 offsets move the window
  AugmentSpec flip;
  flip.horizontal_flip = true;
  torch::Tensor f = AugmentBatch(x, flip, 5);
  int64_t mirrored = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const bool same = torch::equal(f[i], x[i]), mirror = torch::equal(f[i], x[i].flip({2}));
    EXPECT_TRUE(same || mirror);
    mirrored += mirror;
  }
  EXPECT_GT(mirrored, 16);
  EXPECT_LT(mirrored, 48);
}

}  // namespace
}  // namespace bitsearch
