// Bias correction: the empirical one removes every layer's mean output error on its data; the
// analytic one removes most of it from the BatchNorm statistics alone.
#include "search/ptq/bias_correction.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/job_checkpoint.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

using Mode = QuantMode;

// A float copy of `net` (same graph and weights, quantizers off).
Network FloatCopy(NetworkImpl& net) {
  Network copy(net.graph(), net.options());
  LoadModule(*copy, SerializeModule(net));
  copy->SetQuantMode(Mode::kBypass);
  copy->eval();
  return copy;
}

// Largest |per-channel mean output error| over the layers, relative to the output's scale.
double WorstMeanError(NetworkImpl& quant, NetworkImpl& ref, const torch::Tensor& data) {
  auto q = LayerOutputMeans(quant, data, 64), f = LayerOutputMeans(ref, data, 64);
  double worst = 0;
  for (auto& [l, m] : f) worst = std::max(worst, ((q[l] - m).abs().max() / (m.abs().max() + 1e-3)).item<double>());
  return worst;
}

TEST(BiasCorrectionTest, EmpiricalDrivesThePerChannelMeanErrorToZero) {
  torch::manual_seed(1);
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  ASSERT_TRUE(g.ok());
  NetworkOptions no;
  no.prune = false;
  Network quant(*g, no);
  quant->eval();
  torch::Tensor data = torch::rand({256, 1, 28, 28});
  quant->InitRanges(data.slice(0, 0, 128));
  quant->SetFixed(UniformBits(g->LayerNames(), 4, 4));
  Network ref = FloatCopy(*quant);
  const double before = WorstMeanError(*quant, *ref, data);
  EXPECT_GT(before, 1e-2);
  BiasCorrectionReport report;
  CorrectBiasEmpirically(*quant, *ref, data, 64, &report);
  EXPECT_EQ(report.corrected.size(), 4u);
  EXPECT_LT(WorstMeanError(*quant, *ref, data), 1e-4);
  // The reference keeps its biases.
  EXPECT_FALSE(torch::equal(quant->bias(1), ref->bias(1)));
}

TEST(BiasCorrectionTest, ClippedNormalMeanMatchesSampling) {
  torch::manual_seed(2);
  torch::Tensor mean = torch::tensor({-1.0f, 0.0f, 2.0f, 7.0f}), std = torch::tensor({1.0f, 0.5f, 3.0f, 2.0f});
  torch::Tensor z = mean + std * torch::randn({400000, 4});
  torch::Tensor relu = ClippedNormalMean(mean, std, 0, INFINITY);
  torch::Tensor relu6 = ClippedNormalMean(mean, std, 0, 6);
  EXPECT_TRUE(torch::allclose(relu, torch::relu(z).mean(0), 0, 0.01));
  EXPECT_TRUE(torch::allclose(relu6, z.clamp(0, 6).mean(0), 0, 0.01));
}

TEST(BiasCorrectionTest, AnalyticRemovesMostOfTheShiftFromStatisticsAlone) {
  torch::manual_seed(3);
  Graph g;
  Node in;
  in.op = Op::kInput;
  in.name = "input";
  g.Add(in);
  Node c1;
  c1.op = Op::kConv;
  c1.name = "conv1";
  c1.inputs = {0};
  c1.in_channels = 16;
  c1.out_channels = 16;
  c1.kernel_h = c1.kernel_w = 3;
  int x = g.Add(c1);
  Node relu;
  relu.op = Op::kReLU;
  relu.name = "relu";
  relu.inputs = {x};
  x = g.Add(relu);
  Node c2 = c1;
  c2.name = "conv2";
  c2.inputs = {x};
  g.output = g.Add(c2);
  ASSERT_TRUE(InferShapes(g, {16, 12, 12}).ok());
  NetworkOptions no;
  no.prune = false;
  Network quant(g, no);
  quant->eval();
  // conv1's pre-activations are sums of 144 terms: close to normal, as after a BatchNorm.
  torch::Tensor data = torch::randn({512, 16, 12, 12});
  quant->InitRanges(data);
  BitConfig bits = UniformBits({"conv1", "conv2"}, 2, 32);
  quant->SetFixed(bits);
  Network ref = FloatCopy(*quant);
  quant->SetQuantMode(Mode::kFixed);
  // Statistics of conv1's output as its BatchNorm would hold them.
  LayerStats stats;
  {
    torch::NoGradGuard ng;
    torch::Tensor y = ref->ForwardValues(data, 1)[1];
    stats[1] = {y.mean({0, 2, 3}), y.std({0, 2, 3}), true};
  }
  auto err = [&]() {
    auto q = LayerOutputMeans(*quant, data, 128), f = LayerOutputMeans(*ref, data, 128);
    return (q[3] - f[3]).abs().mean().item<double>();
  };
  const double before = err();
  BiasCorrectionReport report;
  CorrectBiasAnalytically(*quant, stats, &report);
  ASSERT_EQ(report.corrected, std::vector<std::string>{"conv2"});
  ASSERT_EQ(report.skipped.size(), 1u);  // conv1 reads the network input
  EXPECT_LT(err(), 0.25 * before);
}

}  // namespace
}  // namespace bitsearch
