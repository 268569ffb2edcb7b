// The priors against numbers computed by hand: the latency prior on a two-layer network with a
// made-up table (value, gradient sign, normalisation at max_bits), and the BOPs prior against the
// public reference code's regulariser value (testdata/bb_reference_vectors.json).
#include "search/prior.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "nlohmann/json.hpp"

namespace bitsearch {
namespace {

// input [16] -> fc1 (16 -> 8) -> relu -> fc2 (8 -> 4). fc1 reads the network input itself (no
// flatten between): the input is the one activation the priors treat as fixed at 8 bits.
Graph TwoLayers() {
  Graph g;
  Node in;
  in.op = Op::kInput;
  in.name = "input";
  int x = g.Add(in);
  Node fc1;
  fc1.op = Op::kLinear;
  fc1.name = "fc1";
  fc1.inputs = {x};
  fc1.in_channels = 16;
  fc1.out_channels = 8;
  x = g.Add(fc1);
  Node relu;
  relu.op = Op::kReLU;
  relu.name = "relu";
  relu.inputs = {x};
  x = g.Add(relu);
  Node fc2 = fc1;
  fc2.name = "fc2";
  fc2.inputs = {x};
  fc2.in_channels = 8;
  fc2.out_channels = 4;
  g.output = g.Add(fc2);
  EXPECT_TRUE(InferShapes(g, {16}).ok());
  return g;
}

// P(gate active) of the hard-concrete gate, written out (Louizos et al.'s L0 gates).
double Q(double log_alpha) {
  const double beta = 2.0 / 3.0, gamma = -0.1, zeta = 1.1;
  return 1.0 / (1.0 + std::exp(-(log_alpha - beta * std::log(-gamma / zeta))));
}

// P(bits = 2, 4, 8) with max_bits 8 (z16, z32 off).
std::array<double, 3> Bits248(double q4, double q8) { return {1 - q4, q4 * (1 - q8), q4 * q8}; }

class LatencyPriorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = Network(TwoLayers(), NetworkOptions{8, true, 3.0, {}});
    // latency(layer k, a, w) = 100 (k + 1) + 10 a + w for the bit indices a, w of {2..32}.
    for (int k = 0; k < 2; ++k) {
      std::array<std::array<double, 5>, 5> t{};
      for (int a = 0; a < 5; ++a) {
        for (int w = 0; w < 5; ++w) t[a][w] = 100.0 * (k + 1) + 10.0 * a + w;
      }
      table_.push_back(t);
    }
  }

  BBQuantizerImpl& Weight(int k) { return AsBayesianBits(*net_->layer_quants()[k].weight); }
  BBQuantizerImpl& Act(int k) {
    return AsBayesianBits(*net_->act_quantizers()[net_->layer_quants()[k].act]);
  }
  void SetGates(double w1_4, double w1_8, double z2, double a2_4, double a2_8, double w2_4, double w2_8) {
    torch::NoGradGuard no_grad;
    Weight(0).log_alpha[0] = w1_4;
    Weight(0).log_alpha[1] = w1_8;
    Weight(0).log_alpha_z2.fill_(z2);
    Act(1).log_alpha[0] = a2_4;
    Act(1).log_alpha[1] = a2_8;
    Weight(1).log_alpha[0] = w2_4;
    Weight(1).log_alpha[1] = w2_8;
  }

  Network net_{nullptr};
  LatencyPrior::Table table_;
};

TEST_F(LatencyPriorTest, MatchesAHandComputation) {
  SetGates(1.0, -0.5, 2.0, 0.3, -1.0, 1.5, 0.2);
  LatencyPrior prior(*net_, table_, /*max_bits=*/8);
  const double value = prior.Compute(*net_).item<double>();

  const double norm = table_[0][2][2] + table_[1][2][2];  // both layers at (8, 8)
  auto pw1 = Bits248(Q(1.0), Q(-0.5));
  auto pa2 = Bits248(Q(0.3), Q(-1.0));
  auto pw2 = Bits248(Q(1.5), Q(0.2));
  double e1 = 0;  // fc1 reads the network input: 8-bit activations (index 2) for sure
  for (int w = 0; w < 3; ++w) e1 += pw1[w] * table_[0][2][w];
  e1 *= Q(2.0);  // the mean keep probability of its 8 channels, all at log_alpha 2
  double e2 = 0;  // fc2: the last layer, never pruned
  for (int a = 0; a < 3; ++a) {
    for (int w = 0; w < 3; ++w) e2 += pa2[a] * pw2[w] * table_[1][a][w];
  }
  EXPECT_NEAR(value, (e1 + e2) / norm, 1e-5);
}

TEST_F(LatencyPriorTest, GradientPushesTowardsCheaperBits) {
  SetGates(1.0, -0.5, 2.0, 0.3, -1.0, 1.5, 0.2);
  LatencyPrior prior(*net_, table_, 8);
  prior.Compute(*net_).backward();
  // Latency grows with bits and with kept channels in this table: every gate's gradient is
  // positive (descent closes gates), the activation's too.
  EXPECT_GT(Weight(0).log_alpha.grad()[0].item<double>(), 0);
  EXPECT_GT(Weight(0).log_alpha.grad()[1].item<double>(), 0);
  EXPECT_GT(Weight(0).log_alpha_z2.grad().sum().item<double>(), 0);
  EXPECT_GT(Act(1).log_alpha.grad()[0].item<double>(), 0);
  EXPECT_GT(Weight(1).log_alpha.grad()[0].item<double>(), 0);
  // Gates above max_bits are off and get no gradient.
  EXPECT_EQ(Weight(0).log_alpha.grad()[2].item<double>(), 0);
}

TEST_F(LatencyPriorTest, IsOneWithEveryTensorAtMaxBits) {
  SetGates(30, 30, 30, 30, 30, 30, 30);  // every usable gate on: (8, 8) everywhere, all kept
  LatencyPrior prior(*net_, table_, 8);
  EXPECT_NEAR(prior.Compute(*net_).item<double>(), 1.0, 1e-6);
  LatencyPrior at4(*net_, table_, 4);  // normalised at (4, 4) instead
  const double norm4 = table_[0][1][1] + table_[1][1][1];
  EXPECT_NEAR(at4.Compute(*net_).item<double>(), (table_[0][2][2] + table_[1][2][2]) / norm4, 1e-5);
}

TEST(BopsPriorTest, MatchesTheReferenceRegulariserValue) {
  std::ifstream in(std::string(BITSEARCH_TESTDATA) + "/bb_reference_vectors.json");
  ASSERT_TRUE(in.good());
  const auto ref = nlohmann::json::parse(in)["regularizer"][0];
  ASSERT_FALSE(ref["pruning"].get<bool>());
  // The reference quantizer's layer has a quarter of the largest layer's MACs (250 / 1000); so
  // has fc2 here (8 x 4 = 32 against fc1's 16 x 8 = 128).
  Graph g = TwoLayers();
  ASSERT_DOUBLE_EQ(static_cast<double>(LayerMacs(g, g.Layers()[1])) / LayerMacs(g, g.Layers()[0]),
                   ref["macs"].get<double>() / ref["max_macs"].get<double>());
  Network net(g, NetworkOptions{32, true, 3.0, {}});
  const auto la = ref["log_alpha_4_8_16_32"].get<std::vector<float>>();
  {
    torch::NoGradGuard no_grad;
    // fc2's weights (unprunable) carry the reference gates; everything else is switched off for
    // good so that its terms are known: an unprunable quantizer with every gate off adds the
    // reference's constant 1, a prunable one with its channels off adds nothing.
    auto& w2 = AsBayesianBits(*net->layer_quants()[1].weight);
    for (int k = 0; k < 4; ++k) w2.log_alpha[k] = la[k];
    auto& w1 = AsBayesianBits(*net->layer_quants()[0].weight);
    w1.log_alpha.fill_(-30);
    w1.log_alpha_z2.fill_(-30);
    auto& a2 = AsBayesianBits(*net->act_quantizers()[net->layer_quants()[1].act]);
    a2.log_alpha.fill_(-30);
    w1.ApplyPermanentOff();
    a2.ApplyPermanentOff();
  }
  BopsPrior prior(*net);
  // fc2's weights: the reference R; fc2's input activation: 1 (gates off); fc1: ~0.
  EXPECT_NEAR(prior.Compute(*net).item<double>(), ref["R"].get<double>() + 1.0, 1e-4);
}

}  // namespace
}  // namespace bitsearch
