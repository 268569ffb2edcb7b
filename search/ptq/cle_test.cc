// Cross-layer equalization and high-bias absorption keep the float function and balance ranges.
#include "search/ptq/cle.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/ptq/ptq_testing.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

using ptq_testing::RelativeError;

// A small graph builder for shapes the zoo does not have.
struct G {
  Graph g;
  G() {
    Node in;
    in.op = Op::kInput;
    in.name = "input";
    g.Add(in);
  }
  int Conv(const std::string& name, int x, int64_t in, int64_t out, int64_t k, int64_t groups = 1) {
    Node n;
    n.op = Op::kConv;
    n.name = name;
    n.inputs = {x};
    n.in_channels = in;
    n.out_channels = out;
    n.kernel_h = n.kernel_w = k;
    n.groups = groups;
    return g.Add(n);
  }
  int Unary(Op op, const std::string& name, int x) {
    Node n;
    n.op = op;
    n.name = name;
    n.inputs = {x};
    n.kernel_h = n.kernel_w = n.stride_h = n.stride_w = 2;  // pools
    return g.Add(n);
  }
  Network Build(std::vector<int64_t> shape) {
    EXPECT_TRUE(InferShapes(g, shape).ok());
    Network net(g, NetworkOptions{});
    net->SetQuantMode(QuantMode::kBypass);
    net->eval();
    return net;
  }
};

Network LeNet() {
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  EXPECT_TRUE(g.ok());
  Network net(*g, NetworkOptions{});
  net->SetQuantMode(QuantMode::kBypass);
  net->eval();
  return net;
}

TEST(CleTest, LinksOfLeNetRunThroughReluPoolAndFlatten) {
  Network net = LeNet();
  auto links = FindCleLinks(net->graph(), false);
  ASSERT_EQ(links.size(), 3u);  // conv1 -> conv2 -> fc1 -> fc2
  EXPECT_TRUE(links[0].through_relu);
  EXPECT_EQ(links[1].features_per_channel, 16);  // conv2's 64 channels of 4x4 into fc1
  EXPECT_EQ(links[2].features_per_channel, 1);
}

TEST(CleTest, OnePairIsEqualizedToTheGeometricMean) {
  torch::manual_seed(1);
  G b;
  int x = b.Conv("a", 0, 3, 8, 3);
  x = b.Unary(Op::kReLU, "relu", x);
  x = b.Unary(Op::kMaxPool, "pool", x);
  b.g.output = b.Conv("b", x, 8, 5, 3);
  Network net = b.Build({3, 16, 16});
  RescaleChannelsRandomly(*net, 1e-2, 1e2, 7);
  const int a = 1, c = b.g.output;
  torch::Tensor r1 = OutputChannelRanges(*net, a);
  auto links = FindCleLinks(net->graph(), false);
  ASSERT_EQ(links.size(), 1u);
  torch::Tensor r2 = InputChannelRanges(*net, links[0]);
  torch::Tensor in = torch::randn({4, 3, 16, 16});
  torch::Tensor before = net->forward(in);
  CleOptions opt;
  opt.enabled = true;
  CleResult res = EqualizeCrossLayer(net, opt, nullptr);
  EXPECT_LE(res.report.iterations, 2);
  torch::Tensor expect = (r1 * r2).sqrt();
  EXPECT_TRUE(torch::allclose(OutputChannelRanges(*net, a), expect, 1e-5, 0));
  EXPECT_TRUE(torch::allclose(InputChannelRanges(*net, links[0]), expect, 1e-5, 0));
  EXPECT_LT(RelativeError(net->forward(in), before), 1e-5);
  (void)c;
}

TEST(CleTest, RescaledLeNetKeepsItsFunctionAndEqualizesEveryPair) {
  torch::manual_seed(2);
  Network net = LeNet();
  torch::Tensor in = torch::randn({16, 1, 28, 28});
  torch::Tensor original = net->forward(in);
  RescaleChannelsRandomly(*net, 1e-2, 1e2, 3);
  torch::Tensor rescaled = net->forward(in);
  EXPECT_LT(RelativeError(rescaled, original), 1e-5);
  // The rescaling spreads one tensor's channel ranges over orders of magnitude.
  torch::Tensor r = OutputChannelRanges(*net, 1);
  EXPECT_GT((r.max() / r.min()).item<float>(), 100.0f);

  CleOptions opt;
  opt.enabled = true;
  CleResult res = EqualizeCrossLayer(net, opt, nullptr);
  EXPECT_EQ(res.report.chains.size(), 3u);
  EXPECT_LT(res.report.iterations, opt.max_iterations);
  EXPECT_LT(RelativeError(net->forward(in), original), 1e-5);
  for (const CleLink& l : FindCleLinks(net->graph(), false)) {
    EXPECT_TRUE(torch::allclose(OutputChannelRanges(*net, l.producer), InputChannelRanges(*net, l),
                                1e-4, 0))
        << net->graph().nodes[l.producer].name;
  }
}

TEST(CleTest, DepthwiseTripletsMeetAtTheCubeRoot) {
  torch::manual_seed(3);
  G b;
  int x = b.Conv("a", 0, 3, 6, 1);
  x = b.Unary(Op::kReLU, "r1", x);
  x = b.Conv("dw", x, 6, 6, 3, /*groups=*/6);
  x = b.Unary(Op::kReLU, "r2", x);
  b.g.output = b.Conv("c", x, 6, 4, 1);
  Network net = b.Build({3, 10, 10});
  RescaleChannelsRandomly(*net, 1e-2, 1e2, 5);
  auto links = FindCleLinks(net->graph(), false);
  ASSERT_EQ(links.size(), 2u);
  torch::Tensor c = (OutputChannelRanges(*net, 1) * OutputChannelRanges(*net, 3) *
                     InputChannelRanges(*net, links[1]))
                        .pow(1.0 / 3.0);
  torch::Tensor in = torch::randn({2, 3, 10, 10});
  torch::Tensor before = net->forward(in);
  CleOptions opt;
  opt.enabled = true;
  opt.max_iterations = 1;
  CleResult res = EqualizeCrossLayer(net, opt, nullptr);
  ASSERT_EQ(res.report.chains.size(), 1u);
  EXPECT_EQ(res.report.chains[0], "a -> dw -> c");
  EXPECT_TRUE(torch::allclose(OutputChannelRanges(*net, 1), c, 1e-5, 0));
  EXPECT_TRUE(torch::allclose(OutputChannelRanges(*net, 3), c, 1e-5, 0));
  EXPECT_TRUE(torch::allclose(InputChannelRanges(*net, links[1]), c, 1e-5, 0));
  EXPECT_LT(RelativeError(net->forward(in), before), 1e-5);
}

TEST(CleTest, Relu6PairsAreLeftOutOrReplacedAsAsked) {
  torch::manual_seed(4);
  auto g = BuildZooModel("mobilenetv2", {3, 16, 16}, 10, 0.25);
  ASSERT_TRUE(g.ok());
  Network unfolded(*g, NetworkOptions{});
  unfolded->eval();
  Network net = FoldBatchNorm(*unfolded);
  net->SetQuantMode(QuantMode::kBypass);
  net->eval();
  torch::Tensor in = torch::randn({2, 3, 16, 16});
  torch::Tensor before = net->forward(in);
  CleOptions opt;
  opt.enabled = true;
  CleResult kept = EqualizeCrossLayer(net, opt, nullptr);
  EXPECT_FALSE(kept.report.relu6_left_out.empty());
  EXPECT_TRUE(kept.report.relu6_replaced.empty());
  EXPECT_LT(RelativeError(kept.network->forward(in), before), 1e-5);

  opt.replace_relu6 = true;
  CleResult replaced = EqualizeCrossLayer(net, opt, nullptr);
  EXPECT_FALSE(replaced.report.relu6_replaced.empty());
  EXPECT_GT(replaced.report.chains.size(), kept.report.chains.size());
  bool has_triplet = false;
  for (const auto& c : replaced.report.chains) has_triplet |= c.find(".dw ->") != std::string::npos;
  EXPECT_TRUE(has_triplet);
  for (const Node& n : replaced.network->graph().nodes) {
    for (const auto& r : replaced.report.relu6_replaced) {
      if (n.name == r) {
        EXPECT_EQ(n.op, Op::kReLU);
      }
    }
  }
}

// Per-channel minimum of a layer's pre-activation output over `in`.
torch::Tensor ChannelMin(NetworkImpl& net, int layer, const torch::Tensor& in) {
  torch::NoGradGuard ng;
  torch::Tensor v = net.ForwardValues(in, layer)[layer];
  return v.transpose(0, 1).flatten(1).amin(1);
}

// Statistics for which the 3-sigma rule gives c = the channel's smallest pre-activation on `in`:
// the ReLU assumption then holds exactly on that data.
LayerStats StatsWhereTheAssumptionHolds(NetworkImpl& net, const torch::Tensor& in) {
  LayerStats stats = MeasureLayerStats(net, in, 32);
  for (auto& [layer, s] : stats) s.mean = ChannelMin(net, layer, in) + 3 * s.std;
  return stats;
}

TEST(CleTest, HighBiasAbsorptionKeepsTheFunctionWhereTheReluAssumptionHolds) {
  torch::manual_seed(5);
  Network net = LeNet();
  {
    torch::NoGradGuard ng;
    net->bias(1).add_(3.0);  // conv1's pre-activations stay positive
  }
  torch::Tensor in = torch::rand({64, 1, 28, 28});
  torch::Tensor before = net->forward(in);
  LayerStats stats = StatsWhereTheAssumptionHolds(*net, in);
  ASSERT_EQ(stats.size(), 4u);
  const float bias_before = net->bias(1).sum().item<float>();
  CleReport report;
  AbsorbHighBias(*net, FindCleLinks(net->graph(), false), &stats, &report);
  EXPECT_GE(report.absorbed_channels, 32);  // every channel of conv1
  EXPECT_LT(net->bias(1).sum().item<float>(), bias_before - 32);
  EXPECT_LT(RelativeError(net->forward(in), before), 1e-5);
  // conv1's smallest pre-activation is now 0: all of it moved into conv2's bias.
  EXPECT_LT(ChannelMin(*net, 1, in).abs().max().item<float>(), 1e-4f);
}

TEST(CleTest, BatchNormStatisticsFollowTheFoldedConvs) {
  auto g = BuildZooModel("vgg7", {3, 16, 16}, 10, 0.125);
  ASSERT_TRUE(g.ok());
  Network net(*g, NetworkOptions{});
  {
    torch::NoGradGuard ng;
    for (auto& p : net->named_parameters(false)) {
      if (p.key() == "conv1_bn_gamma") p.value().fill_(-2.0f);
      if (p.key() == "conv1_bn_beta") p.value().fill_(0.5f);
    }
  }
  LayerStats stats = BatchNormStats(*net);
  EXPECT_EQ(stats.size(), 6u);
  ASSERT_TRUE(stats.count(1));
  EXPECT_TRUE(stats[1].from_batch_norm);
  EXPECT_FLOAT_EQ(stats[1].std[0].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(stats[1].mean[0].item<float>(), 0.5f);
}

TEST(CleTest, CleWithStatisticsScalesThemAndAbsorbs) {
  torch::manual_seed(6);
  Network net = LeNet();
  {
    torch::NoGradGuard ng;
    net->bias(1).add_(3.0);
  }
  RescaleChannelsRandomly(*net, 1e-1, 1e1, 9);
  torch::Tensor in = torch::rand({64, 1, 28, 28});
  torch::Tensor before = net->forward(in);
  LayerStats stats = StatsWhereTheAssumptionHolds(*net, in);
  CleOptions opt;
  opt.enabled = true;
  CleResult res = EqualizeCrossLayer(net, opt, &stats);
  EXPECT_GE(res.report.absorbed_channels, 32);
  EXPECT_LT(RelativeError(net->forward(in), before), 1e-5);
  // The tracked statistics are the equalized network's: its deviations, and means whose
  // 3-sigma point is the new smallest pre-activation (0 for conv1 after absorption).
  LayerStats now = MeasureLayerStats(*net, in, 64);
  EXPECT_TRUE(torch::allclose(stats[1].std, now[1].std, 1e-3, 1e-6));
  EXPECT_TRUE(torch::allclose(stats[1].mean - 3 * stats[1].std, ChannelMin(*net, 1, in), 1e-3, 1e-4));
}

}  // namespace
}  // namespace bitsearch
