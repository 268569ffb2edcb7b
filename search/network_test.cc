// The runnable network: BN folding, decisions, fixed bits, gradients reaching every group.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/network.h"
#include "search/prior.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

Network MakeNet(const std::string& name, std::vector<int64_t> shape, double width = 0.25) {
  auto g = BuildZooModel(name, shape, 10, width);
  EXPECT_TRUE(g.ok()) << g.status();
  return Network(*g, NetworkOptions{});
}

TEST(NetworkTest, FoldingBatchNormKeepsTheFunction) {
  torch::manual_seed(1);
  for (const char* name : {"vgg7", "resnet8", "mobilenetv2"}) {
    Network net = MakeNet(name, {3, 32, 32});
    net->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
    // A few training steps so the running statistics are not the identity.
    torch::optim::SGD opt(net->parameters(), 0.01);
    for (int i = 0; i < 3; ++i) {
      opt.zero_grad();
      torch::cross_entropy_loss(net->forward(torch::randn({16, 3, 32, 32})), torch::randint(0, 10, {16})).backward();
      opt.step();
    }
    net->eval();
    auto x = torch::randn({4, 3, 32, 32});
    auto before = net->forward(x);
    Network folded = FoldBatchNorm(*net);
    folded->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
    folded->eval();
    auto after = folded->forward(x);
    EXPECT_TRUE(torch::allclose(before, after, 1e-4, 1e-4)) << name << " max diff "
                                                            << (before - after).abs().max().item<float>();
    for (const Node& n : folded->graph().nodes) EXPECT_NE(n.op, Op::kBatchNorm) << name;
  }
}

TEST(NetworkTest, GradientsReachWeightsRangesAndGates) {
  torch::manual_seed(2);
  Network net = MakeNet("lenet5", {1, 28, 28});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  net->SetGenerator(gen);
  auto x = torch::randn({8, 1, 28, 28});
  net->InitRanges(x);
  net->SetQuantMode(BBQuantizerImpl::Mode::kSearch);
  net->train();
  BopsPrior prior(*net);
  auto loss = torch::cross_entropy_loss(net->forward(x), torch::randint(0, 10, {8})) + 0.1 * prior.Compute(*net);
  loss.backward();
  auto nonzero = [](const std::vector<torch::Tensor>& ps) {
    int n = 0;
    for (const auto& p : ps) n += p.grad().defined() && p.grad().abs().sum().item<float>() > 0;
    return n;
  };
  EXPECT_EQ(nonzero(net->WeightParameters()), static_cast<int>(net->WeightParameters().size()));
  EXPECT_GT(nonzero(net->RangeParameters()), 0);
  EXPECT_EQ(nonzero(net->QuantizerParameters()), static_cast<int>(net->QuantizerParameters().size()));
}

TEST(NetworkTest, DecideThenFixReproducesTheSearchedEvalOutput) {
  torch::manual_seed(4);
  Network net = MakeNet("resnet8", {3, 32, 32});
  auto x = torch::randn({4, 3, 32, 32});
  net->InitRanges(x);
  net->SetQuantMode(BBQuantizerImpl::Mode::kSearch);
  {
    torch::NoGradGuard ng;
    AsBayesianBits(*net->layer_quants()[1].weight).log_alpha[0] = -3.0;  // force a 2-bit layer
  }
  net->eval();
  auto searched = net->forward(x);
  BitConfig c = net->Decide();
  EXPECT_EQ(c.layers[1].weight_bits, 2);
  EXPECT_EQ(c.layers[0].act_bits, 8);  // the network input
  net->SetFixed(c);
  EXPECT_TRUE(torch::equal(searched, net->forward(x)));
  // Residual adds: a tensor read by two layers has one quantizer, so one bit width.
  for (const auto& l : net->layer_quants()) EXPECT_LT(l.act, static_cast<int>(net->act_quantizers().size()));
  EXPECT_LT(net->act_quantizers().size(), net->layer_quants().size());
}

TEST(NetworkTest, FixedThirtyTwoBitsIsCloseToFloat) {
  torch::manual_seed(5);
  Network net = MakeNet("lenet5", {1, 28, 28});
  auto x = torch::randn({4, 1, 28, 28});
  net->eval();
  net->SetQuantMode(BBQuantizerImpl::Mode::kBypass);
  auto fp = net->forward(x);
  net->InitRanges(x * 1.5);
  BitConfig c = net->Decide();
  for (auto& l : c.layers) l.weight_bits = 32, l.act_bits = 32, l.keep.clear();
  c.layers[0].act_bits = 8;
  net->SetFixed(c);
  auto q = net->forward(x);
  EXPECT_LT((q - fp).abs().max().item<float>(), 0.1f);  // only the 8-bit input differs
}

}  // namespace
}  // namespace bitsearch
