// The whole post-training chain on LeNet-5: 8-bit is close to float, equalization rescues a
// network whose channel ranges differ wildly, AdaRound beats nearest rounding on every layer,
// and contradicting options are refused.
#include "search/ptq/post_training.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "search/ptq/ptq_quantizer.h"
#include "search/ptq/ptq_testing.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

Network FloatLeNet() {
  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 0.5);
  EXPECT_TRUE(g.ok());
  Network net(*g, NetworkOptions{});
  net->SetQuantMode(QuantMode::kBypass);
  net->eval();
  return net;
}

BitConfig Uniform(NetworkImpl& net, int w, int a) {
  return UniformBits(net.graph().LayerNames(), w, a);
}

using ptq_testing::RelativeError;

// Output error of the quantized network against the float one on `x`.
double OutputError(NetworkImpl& quant, NetworkImpl& fp, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return RelativeError(quant.forward(x), fp.forward(x));
}

TEST(PostTrainingTest, EightBitsStayCloseToFloatAndTheQuantizersAreFixed) {
  torch::manual_seed(1);
  Network fp = FloatLeNet();
  torch::Tensor calib = torch::rand({128, 1, 28, 28}), test = torch::rand({64, 1, 28, 28});
  auto out = QuantizePostTraining(*fp, calib, Uniform(*fp, 8, 8), PtqOptions{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_LT(OutputError(*out->network, *fp, test), 0.02);
  for (auto& l : out->network->layer_quants()) {
    EXPECT_EQ(l.weight->DecidedBits(), 8);
    EXPECT_EQ(l.weight->mode(), QuantMode::kFixed);
  }
  // 4-bit weights cost more than 8-bit ones.
  auto w4 = QuantizePostTraining(*fp, calib, Uniform(*fp, 4, 8), PtqOptions{});
  ASSERT_TRUE(w4.ok());
  EXPECT_GT(OutputError(*w4->network, *fp, test), 2 * OutputError(*out->network, *fp, test));
}

TEST(PostTrainingTest, EqualizationRescuesPerTensorQuantizationOfRescaledChannels) {
  torch::manual_seed(2);
  Network fp = FloatLeNet();
  RescaleChannelsRandomly(*fp, 1e-2, 1e2, 11);
  torch::Tensor calib = torch::rand({128, 1, 28, 28}), test = torch::rand({64, 1, 28, 28});
  PtqOptions plain;
  plain.weight_range = RangeMethod::kMinMax;
  PtqOptions cle = plain;
  cle.cle.enabled = true;
  auto a = QuantizePostTraining(*fp, calib, Uniform(*fp, 8, 8), plain);
  auto b = QuantizePostTraining(*fp, calib, Uniform(*fp, 8, 8), cle);
  ASSERT_TRUE(a.ok() && b.ok());
  const double without = OutputError(*a->network, *fp, test), with = OutputError(*b->network, *fp, test);
  EXPECT_GT(without, 5 * with) << without << " vs " << with;
  EXPECT_LT(with, 0.05);
  EXPECT_EQ(b->report.cle.chains.size(), 3u);
  // The input network is not touched.
  EXPECT_TRUE(a->report.cle.chains.empty());
}

TEST(PostTrainingTest, AdaRoundBeatsNearestRoundingOnEveryLayer) {
  torch::manual_seed(3);
  Network fp = FloatLeNet();
  torch::Tensor calib = torch::rand({64, 1, 28, 28});
  PtqOptions o;
  o.adaround.enabled = true;
  o.adaround.iterations = 150;
  o.adaround.lr = 1e-2;  // few iterations: a larger step (the spec field; the default is 1e-3)
  std::vector<std::string> seen;
  auto out = QuantizePostTraining(*fp, calib, Uniform(*fp, 4, 8), o,
                                  [&](const std::string& layer, int64_t, double) {
                                    if (seen.empty() || seen.back() != layer) seen.push_back(layer);
                                    return true;
                                  });
  ASSERT_TRUE(out.ok()) << out.status();
  // A progress that answers false (the job is cancelled) stops AdaRound at its first report.
  auto stopped = QuantizePostTraining(*fp, calib, Uniform(*fp, 4, 8), o,
                                      [](const std::string&, int64_t, double) { return false; });
  ASSERT_EQ(stopped.status().code(), absl::StatusCode::kCancelled) << stopped.status();
  EXPECT_NE(std::string(stopped.status().message()).find("at iteration 100 of 150"),
            std::string::npos) << stopped.status();
  ASSERT_EQ(out->report.rounding.size(), 4u);
  EXPECT_EQ(seen.size(), 4u);
  for (const LayerRoundingReport& r : out->report.rounding) {
    EXPECT_LT(r.error_adaround, r.error_nearest) << r.layer;
    std::cout << r.layer << ": reconstruction error " << r.error_nearest << " nearest, "
              << r.error_adaround << " AdaRound\n";
    EXPECT_GT(r.changed_fraction, 0.0) << r.layer;
    EXPECT_EQ(r.samples, 64);
  }
  for (auto& l : out->network->layer_quants()) EXPECT_TRUE(AsPtq(*l.weight).has_rounding());
}

TEST(PostTrainingTest, EmpiricalBiasCorrectionRemovesTheLogitShift) {
  torch::manual_seed(4);
  Network fp = FloatLeNet();
  torch::Tensor calib = torch::rand({256, 1, 28, 28});
  PtqOptions o;
  o.weight_range = RangeMethod::kMinMax;
  auto plain = QuantizePostTraining(*fp, calib, Uniform(*fp, 4, 8), o);
  o.bias_correction = BiasCorrectionMode::kEmpirical;
  auto corrected = QuantizePostTraining(*fp, calib, Uniform(*fp, 4, 8), o);
  ASSERT_TRUE(plain.ok() && corrected.ok());
  EXPECT_EQ(corrected->report.bias_correction.corrected.size(), 4u);
  torch::NoGradGuard no_grad;
  torch::Tensor ref = fp->forward(calib);
  auto shift = [&](NetworkImpl& q) { return (q.forward(calib) - ref).mean(0).abs().max().item<double>(); };
  EXPECT_LT(shift(*corrected->network), 1e-4 + 0.1 * shift(*plain->network));
}

TEST(PostTrainingTest, ContradictingOptionsAreRefused) {
  Network fp = FloatLeNet();
  torch::Tensor calib = torch::rand({8, 1, 28, 28});
  PtqOptions o;
  o.adaround.enabled = true;
  o.bias_correction = BiasCorrectionMode::kEmpirical;
  auto both = QuantizePostTraining(*fp, calib, Uniform(*fp, 4, 8), o);
  EXPECT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(both.status().message().find("not both"), std::string::npos);
  PtqOptions p;
  p.weight_range = RangeMethod::kPercentile;
  EXPECT_EQ(QuantizePostTraining(*fp, calib, Uniform(*fp, 8, 8), p).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(QuantizePostTraining(*fp, torch::Tensor(), Uniform(*fp, 8, 8), PtqOptions{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  BitConfig short_config = Uniform(*fp, 8, 8);
  short_config.layers.pop_back();
  auto wrong = QuantizePostTraining(*fp, calib, short_config, PtqOptions{});
  EXPECT_NE(wrong.status().message().find("3 layers"), std::string::npos) << wrong.status();
}

}  // namespace
}  // namespace bitsearch
