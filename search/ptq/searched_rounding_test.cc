// AdaRound after a search: the copy of a searched (Bayesian Bits) network onto post-training
// quantizers computes what the searched network computes, pruned channels stay pruned, the
// learned rounding reconstructs every layer at least as well as nearest rounding and ends up
// written into the weights.
#include "search/ptq/searched_rounding.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/ptq/grid.h"
#include "search/ptq/ptq_quantizer.h"
#include "search/ptq/ptq_testing.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

using ptq_testing::RelativeError;

// A LeNet-5 with Bayesian Bits quantizers, ranges from data, fixed at mixed bits with four of
// conv2's output channels pruned (what a search and refinement hand over).
struct Searched {
  Network net;
  BitConfig config;
};

Searched MakeSearched(const torch::Tensor& data) {
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 0.5);
  EXPECT_TRUE(g.ok());
  NetworkOptions options;
  options.prune = true;
  Network net(*g, options);
  net->eval();
  net->InitRanges(data);
  BitConfig config = UniformBits(net->graph().LayerNames(), 4, 8);
  config.layers[0].weight_bits = 8;
  config.layers[2].weight_bits = 2;
  config.layers[2].act_bits = 4;
  const int64_t channels = net->weight(net->layer_quants()[1].node).size(0);
  config.layers[1].keep.assign(static_cast<size_t>(channels), 1);
  for (int c : {0, 3, 5, 7}) config.layers[1].keep[static_cast<size_t>(c)] = 0;
  net->SetFixed(config);
  return {net, config};
}

TEST(SearchedRoundingTest, TheCopyComputesWhatTheSearchedNetworkComputes) {
  torch::manual_seed(5);
  torch::Tensor x = torch::rand({64, 1, 28, 28});
  Searched s = MakeSearched(x);
  auto copy = PtqCopyOfSearched(*s.net, s.config);
  ASSERT_TRUE(copy.ok()) << copy.status();
  torch::NoGradGuard no_grad;
  // Every quantizer puts the same values on the same grid points (up to float rounding of the
  // two kernels' arithmetic) ...
  auto& searched = s.net->layer_quants();
  auto& copied = (*copy)->layer_quants();
  for (size_t k = 0; k < searched.size(); ++k) {
    torch::Tensor w = s.net->weight(searched[k].node);
    torch::Tensor a = searched[k].weight->forward(w), b = copied[k].weight->forward(w);
    EXPECT_LT((a - b).abs().max().item<float>(), 1e-6 * w.abs().max().item<float>()) << k;
  }
  for (size_t k = 0; k < s.net->act_quantizers().size(); ++k) {
    TensorQuantizerImpl& a = *s.net->act_quantizers()[k];
    TensorQuantizerImpl& b = *(*copy)->act_quantizers()[k];
    torch::Tensor v = torch::randn({4096}) * a.clip_max();
    EXPECT_LT((a.forward(v) - b.forward(v)).abs().max().item<float>(), 1e-6 * a.clip_max()) << k;
  }
  // ... so the networks agree, but for the rare activation that float rounding tips over a
  // rounding boundary (a one-step change there).
  torch::Tensor out_searched = s.net->forward(x), out_copy = (*copy)->forward(x);
  EXPECT_LT(RelativeError(out_copy, out_searched), 1e-2);
  EXPECT_GE(out_copy.argmax(1).eq(out_searched.argmax(1)).sum().item<int64_t>(), 62);
  BitConfig decided = (*copy)->Decide();
  ASSERT_EQ(decided.layers.size(), s.config.layers.size());
  for (size_t k = 0; k < decided.layers.size(); ++k) {
    EXPECT_EQ(decided.layers[k].weight_bits, s.config.layers[k].weight_bits) << k;
  }
  EXPECT_EQ(decided.layers[1].keep, s.config.layers[1].keep);
}

TEST(SearchedRoundingTest, RoundingKeepsPrunedChannelsBeatsNearestAndIsWrittenIntoTheWeights) {
  torch::manual_seed(6);
  torch::Tensor calib = torch::rand({64, 1, 28, 28});
  Searched s = MakeSearched(calib);
  AdaRoundOptions o;
  o.iterations = 80;
  o.lr = 1e-2;  // few iterations: a larger step
  auto out = RoundSearchedNetwork(*s.net, calib, s.config, o);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->report.rounding.size(), 4u);
  int better = 0;
  for (const LayerRoundingReport& r : out->report.rounding) {
    EXPECT_LE(r.error_adaround, r.error_nearest) << r.layer;
    better += r.error_adaround < r.error_nearest;
  }
  EXPECT_GE(better, 3);
  NetworkImpl& q = *out->network;
  EXPECT_EQ(q.Decide().layers[1].keep, s.config.layers[1].keep);
  torch::NoGradGuard no_grad;
  auto& layers = q.layer_quants();
  for (size_t k = 0; k < layers.size(); ++k) {
    PtqQuantizerImpl& wq = AsPtq(*layers[k].weight);
    EXPECT_FALSE(wq.has_rounding()) << k;
    // Written into the weights: every weight is on its grid, so nearest rounding keeps it.
    torch::Tensor w = q.weight(layers[k].node);
    EXPECT_LT((wq.forward(w) - w).abs().max().item<float>(), 1e-6) << k;
  }
  torch::Tensor conv2 = q.weight(layers[1].node);
  for (int c : {0, 3, 5, 7}) EXPECT_EQ(conv2[c].abs().sum().item<float>(), 0.0f) << c;
  // The rounded network is closer to the searched float function than nearest rounding is.
  auto nearest = PtqCopyOfSearched(*s.net, s.config);
  ASSERT_TRUE(nearest.ok());
  Network reference = PtqNetworkOf(**nearest);  // float, pruned channels removed
  torch::Tensor target = reference->forward(calib);
  EXPECT_LT(RelativeError(q.forward(calib), target),
            RelativeError((*nearest)->forward(calib), target));
}

TEST(SearchedRoundingTest, BakingTheRoundingKeepsTheFunction) {
  torch::manual_seed(7);
  torch::Tensor x = torch::rand({16, 1, 28, 28});
  Searched s = MakeSearched(x);
  auto copy = PtqCopyOfSearched(*s.net, s.config);
  ASSERT_TRUE(copy.ok());
  NetworkImpl& q = **copy;
  torch::NoGradGuard no_grad;
  for (auto& l : q.layer_quants()) {
    torch::Tensor w = q.weight(l.node);
    AsPtq(*l.weight).SetHardRounding(torch::randint(0, 2, w.sizes()));
  }
  torch::Tensor before = q.forward(x);
  BakeRoundingIntoWeights(q);
  EXPECT_LT(RelativeError(q.forward(x), before), 1e-6);
  for (auto& l : q.layer_quants()) EXPECT_FALSE(AsPtq(*l.weight).has_rounding());
}

TEST(SearchedRoundingTest, BadInputIsRefused) {
  torch::Tensor x = torch::rand({8, 1, 28, 28});
  Searched s = MakeSearched(x);
  AdaRoundOptions o;
  o.iterations = 1;
  EXPECT_EQ(RoundSearchedNetwork(*s.net, torch::Tensor(), s.config, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  BitConfig short_config = s.config;
  short_config.layers.pop_back();
  auto wrong = RoundSearchedNetwork(*s.net, x, short_config, o);
  EXPECT_NE(wrong.status().message().find("3 layers"), std::string::npos) << wrong.status();
}

}  // namespace
}  // namespace bitsearch
