// Every tensor a training step touches lives on the job's device, so a CUDA build of LibTorch
// runs the same code. This LibTorch has one real device, so the steps run on the meta device
// (shapes without data): an op that mixes a tensor made on the CPU with one on meta throws, as
// it would with CUDA. What runs: the float step (pretraining), the Bayesian Bits search step
// with both priors and the permanent-off rule, the FracBits search step with its expected-cost
// regulariser, each through RunPhase on all four zoo models. Reading a value (progress, range
// initialisation, decisions) is impossible on meta; those run on the CPU in the other tests.
#include <gtest/gtest.h>
#include <torch/library.h>
#include <torch/torch.h>

#include <array>
#include <string>
#include <tuple>
#include <vector>

#include "search/device.h"
#include "search/graph.h"
#include "search/grouped_adam.h"
#include "search/methods/fracbits/expected_cost.h"
#include "search/methods/fracbits/fracbits_quantizer.h"
#include "search/network.h"
#include "search/pipeline/pipeline.h"
#include "search/prior.h"
#include "search/trainer.h"
#include "search/zoo.h"

namespace {

// LibTorch 1.13 has no meta kernel for the convolution's backward (its CPU and CUDA kernels are
// separate ops); this one gives the gradients' shapes, which is all meta tensors carry.
std::tuple<at::Tensor, at::Tensor, at::Tensor> ConvolutionBackwardMeta(
    const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& weight,
    at::IntArrayRef /*stride*/, at::IntArrayRef /*padding*/, at::IntArrayRef /*dilation*/,
    bool /*transposed*/, at::IntArrayRef /*output_padding*/, int64_t /*groups*/,
    std::array<bool, 3> mask) {
  return {mask[0] ? at::empty_like(input) : at::Tensor(),
          mask[1] ? at::empty_like(weight) : at::Tensor(),
          mask[2] ? at::empty({weight.size(0)}, grad_output.options()) : at::Tensor()};
}

TORCH_LIBRARY_IMPL(aten, Meta, m) {
  m.impl("convolution_backward_overrideable", ConvolutionBackwardMeta);
}

}  // namespace

namespace bitsearch {
namespace {

const torch::Device kMeta(torch::kMeta);

struct ZooCase {
  std::string model;
  std::vector<int64_t> shape;
  double width;
};

const std::vector<ZooCase>& Cases() {
  static const std::vector<ZooCase> cases = {{"lenet5", {1, 28, 28}, 1.0},
                                             {"resnet8", {3, 32, 32}, 0.25},
                                             {"mobilenetv2", {3, 32, 32}, 0.25},
                                             {"vgg7", {3, 32, 32}, 0.125}};
  return cases;
}

// Host data, as a job holds it: RunPhase moves each batch to the network's device.
Split HostData(const std::vector<int64_t>& shape, int64_t n) {
  std::vector<int64_t> full = {n};
  full.insert(full.end(), shape.begin(), shape.end());
  Split s;
  s.x = torch::randn(full);
  s.y = torch::randint(0, 10, {n}, torch::kLong);
  return s;
}

void ExpectOnDevice(torch::nn::Module& m, torch::Device d) {
  for (const auto& p : m.named_parameters()) {
    EXPECT_EQ(p.value().device(), d) << p.key();
    if (p.value().grad().defined()) EXPECT_EQ(p.value().grad().device(), d) << p.key() << " grad";
  }
  for (const auto& b : m.named_buffers()) EXPECT_EQ(b.value().device(), d) << b.key();
}

void ExpectOnDevice(torch::optim::Optimizer& opt, torch::Device d) {
  int states = 0;
  for (const auto& [key, state] : opt.state()) {
    const auto& adam = static_cast<const torch::optim::AdamParamState&>(*state);
    EXPECT_EQ(adam.exp_avg().device(), d);
    EXPECT_EQ(adam.exp_avg_sq().device(), d);
    ++states;
  }
  EXPECT_GT(states, 0) << "the optimizer never stepped";
}

PhasePlan TwoSteps(const std::string& name) {
  PhasePlan plan;
  plan.name = name;
  plan.epochs = 1;
  plan.batch_size = 4;  // 8 samples: two steps
  return plan;
}

absl::Status Run(NetworkImpl& net, torch::optim::Optimizer& opt, const Split& data,
                 const PhasePlan& plan) {
  return RunPhase(net, opt, data, plan, PhaseCursor{}, /*observer=*/nullptr,
                  /*checkpoint_every=*/0, nullptr);
}

TEST(DeviceTest, FloatStepsCreateNothingOffTheNetworksDevice) {
  for (const ZooCase& c : Cases()) {
    SCOPED_TRACE(c.model);
    auto graph = BuildZooModel(c.model, c.shape, 10, c.width);
    ASSERT_TRUE(graph.ok()) << graph.status();
    NetworkOptions o;
    o.device = kMeta;
    Network net(*graph, o);  // BatchNorms unfolded, as pretraining trains them
    ExpectOnDevice(*net, kMeta);
    net->SetQuantMode(QuantMode::kBypass);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-3));
    ASSERT_TRUE(Run(*net, adam, HostData(c.shape, 8), TwoSteps("pretrain")).ok());
    ExpectOnDevice(*net, kMeta);
    ExpectOnDevice(adam, kMeta);
  }
}

TEST(DeviceTest, BayesianBitsSearchStepsCreateNothingOffTheNetworksDevice) {
  for (const ZooCase& c : Cases()) {
    SCOPED_TRACE(c.model);
    auto graph = BuildZooModel(c.model, c.shape, 10, c.width);
    ASSERT_TRUE(graph.ok()) << graph.status();
    NetworkOptions o;
    o.device = kMeta;
    Network net(FoldedStructure(*graph), o);
    net->SetGenerator(at::make_generator<at::CPUGeneratorImpl>(3));  // the job's CPU noise source
    net->SetQuantMode(QuantMode::kSearch);
    BopsPrior bops(*net);
    LatencyPrior::Table table;
    for (size_t k = 0; k < net->layer_quants().size(); ++k) {
      std::array<std::array<double, 5>, 5> t{};
      for (int a = 0; a < 5; ++a) {
        for (int w = 0; w < 5; ++w) t[a][w] = 1.0 + a + w;
      }
      table.push_back(t);
    }
    LatencyPrior latency(*net, table, 8);
    GroupedAdam adam({{net->WeightParameters(), 1e-3},
                      {net->QuantizerParameters(), 1e-2},
                      {net->RangeParameters(), 1e-3}});
    PhasePlan plan = TwoSteps("search");
    plan.schedule = [&adam](int64_t step, int64_t total) { adam.Scale(0, CosineFactor(step, total)); };
    plan.regularizer = [&] { return 0.1 * bops.Compute(*net) + 0.1 * latency.Compute(*net); };
    plan.after_step = [&] { net->AfterOptimizerStep(); };
    ASSERT_TRUE(Run(*net, adam.adam(), HostData(c.shape, 8), plan).ok());
    ExpectOnDevice(*net, kMeta);
    ExpectOnDevice(adam.adam(), kMeta);
  }
}

TEST(DeviceTest, FracBitsSearchStepsCreateNothingOffTheNetworksDevice) {
  for (const ZooCase& c : Cases()) {
    SCOPED_TRACE(c.model);
    auto graph = BuildZooModel(c.model, c.shape, 10, c.width);
    ASSERT_TRUE(graph.ok()) << graph.status();
    const Graph folded = FoldedStructure(*graph);
    NetworkOptions o;
    o.device = kMeta;
    o.quantizers = fracbits::FracBitsQuantizers();
    Network net(folded, o);
    net->SetQuantMode(QuantMode::kSearch);
    std::vector<double> macs;
    for (auto& l : net->layer_quants()) macs.push_back(static_cast<double>(LayerMacs(folded, l.node)));
    auto expected_bops = [&] {
      std::vector<torch::Tensor> wp, ap;
      for (auto& l : net->layer_quants()) {
        wp.push_back(fracbits::WidthProbabilities(fracbits::AsFracBits(*l.weight)->EffectiveBits()));
        ap.push_back(fracbits::WidthProbabilities(
            fracbits::AsFracBits(*net->act_quantizers()[l.act])->EffectiveBits()));
      }
      return fracbits::ExpectedRelativeBops(macs, wp, ap);
    };
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-3));
    PhasePlan plan = TwoSteps("search");
    plan.regularizer = [&] { return fracbits::TargetRegularizer(expected_bops(), 1.0, 1.0); };
    plan.after_step = [&] { net->AfterOptimizerStep(); };
    ASSERT_TRUE(Run(*net, adam, HostData(c.shape, 8), plan).ok());
    ExpectOnDevice(*net, kMeta);
  }
}

TEST(DeviceTest, ParseDeviceAcceptsTheCpuAndNamesWhatItRefuses) {
  auto cpu = ParseDevice("cpu");
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_TRUE(cpu->is_cpu());
  for (const std::string bad : {"banana", "meta", "cuda:99", "cpu:1"}) {
    auto d = ParseDevice(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(std::string(d.status().message()).find("\"" + bad + "\""), std::string::npos)
        << d.status().message();
  }
  if (!torch::cuda::is_available()) {
    auto d = ParseDevice("cuda");
    ASSERT_FALSE(d.ok());
    EXPECT_NE(std::string(d.status().message()).find("no CUDA"), std::string::npos)
        << d.status().message();
  }
}

TEST(DeviceTest, AJobOnAnUnknownDeviceFailsBeforeAnyWork) {
  JobSpec spec;
  spec.name = "device";
  spec.model.zoo = "lenet5";
  RunOptions options;
  options.threads = 1;
  options.device = "cuda:99";
  auto result = RunJob(spec, options, nullptr, nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(result.status().message()).find("cuda:99"), std::string::npos);
}

}  // namespace
}  // namespace bitsearch
