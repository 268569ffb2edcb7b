// Relative BOPs and model size, checked against hand computations on the LeNet-5 zoo model.
#include <gtest/gtest.h>

#include "search/catalog.h"
#include "search/cost.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

// LeNet-5 on 28x28: conv1 24*24*32*25, conv2 8*8*64*32*25, fc1 1024*512, fc2 512*10 MACs.
constexpr double kConv1 = 460800, kConv2 = 3276800, kFc1 = 524288, kFc2 = 5120;
constexpr double kTotal = kConv1 + kConv2 + kFc1 + kFc2;

BitConfig LeNetConfig(const Graph& g, int w, int a) {
  BitConfig c;
  for (int l : g.Layers()) c.layers.push_back({g.nodes[l].name, w, a, {}});
  c.layers[0].act_bits = 8;  // the network input counts as 8-bit
  return c;
}

TEST(CostTest, LeNet5MacsMatchTheHandCount) {
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  ASSERT_TRUE(g.ok()) << g.status();
  auto layers = g->Layers();
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(LayerMacs(*g, layers[0]), kConv1);
  EXPECT_EQ(LayerMacs(*g, layers[1]), kConv2);
  EXPECT_EQ(LayerMacs(*g, layers[2]), kFc1);
  EXPECT_EQ(LayerMacs(*g, layers[3]), kFc2);
}

TEST(CostTest, LeNet5RelativeBopsAtAll8AndAll4Bits) {
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  ASSERT_TRUE(g.ok());
  // All 8-bit: 64 / 1024 of the fp32 BOPs.
  EXPECT_NEAR(ComputeCosts(*g, LeNetConfig(*g, 8, 8)).relative_bops_percent, 6.25, 1e-9);
  // All 4-bit but the 8-bit network input: conv1 at 8x4, the rest at 4x4.
  double all4 = 100.0 * (kConv1 * 8 * 4 + (kConv2 + kFc1 + kFc2) * 4 * 4) / (kTotal * 1024);
  EXPECT_NEAR(ComputeCosts(*g, LeNetConfig(*g, 4, 4)).relative_bops_percent, all4, 1e-9);
  EXPECT_NEAR(all4, 1.7312, 1e-4);
}

TEST(CostTest, PruningAProducerShrinksItsConsumerToo) {
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  ASSERT_TRUE(g.ok());
  BitConfig c = LeNetConfig(*g, 8, 8);
  c.layers[0].keep.assign(32, 1);
  for (int i = 0; i < 16; ++i) c.layers[0].keep[i] = 0;  // half of conv1 pruned
  CostSummary s = ComputeCosts(*g, c);
  EXPECT_EQ(s.layers[0].channels_kept, 16);
  EXPECT_DOUBLE_EQ(s.layers[0].keep_ratio, 0.5);
  EXPECT_DOUBLE_EQ(s.layers[1].keep_ratio, 0.5);  // conv2 sees half its input channels
  EXPECT_DOUBLE_EQ(s.layers[2].keep_ratio, 1.0);
  double expected = 100.0 * 64 * (kConv1 * 0.5 + kConv2 * 0.5 + kFc1 + kFc2) / (kTotal * 1024);
  EXPECT_NEAR(s.relative_bops_percent, expected, 1e-9);
}

TEST(CostTest, ModelSizeCountsBitsAndKeptChannels) {
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  ASSERT_TRUE(g.ok());
  CostSummary s = ComputeCosts(*g, LeNetConfig(*g, 4, 8));
  // conv1: 800 weights at 4 bits + 32 fp32 biases.
  EXPECT_EQ(s.layers[0].size_bytes, 800 * 4 / 8 + 32 * 4);
  int64_t params = (800 + 32) + (51200 + 64) + (524288 + 512) + (5120 + 10);
  EXPECT_EQ(s.size_fp32_bytes, 4 * params);
}

TEST(ZooTest, EveryZooModelBuildsForBothInputShapes) {
  for (const auto& m : ListStrategies(StrategyKind::kZooModel)) {
    for (auto shape : {std::vector<int64_t>{1, 28, 28}, std::vector<int64_t>{3, 32, 32}}) {
      auto g = BuildZooModel(m.name, shape, 10, m.name == "mobilenetv2" ? 0.5 : 1.0);
      EXPECT_TRUE(g.ok()) << m.name << ": " << g.status();
    }
  }
}

}  // namespace
}  // namespace bitsearch
