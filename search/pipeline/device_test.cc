// Every tensor a training step touches lives on the job's device, so a CUDA build of LibTorch
// runs the same code. This LibTorch has one real device, so the steps run on the meta device
// (shapes without data): an op that mixes a tensor made on the CPU with one on meta throws, as
// it would with CUDA (a fallback below also runs ops that have no meta kernel in this LibTorch
// and refuses CPU tensors among their arguments). What runs: the float step (pretraining), the
// Bayesian Bits search step with both priors and the permanent-off rule, the FracBits search step
// with its expected-cost regulariser, each through RunPhase on all four zoo models. Reading a value (progress, range
// initialisation, decisions) is impossible on meta; those run on the CPU in the other tests.
#include <gtest/gtest.h>
#include <torch/library.h>
#include <torch/torch.h>

#include <array>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
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

// Meta tensors carry shapes, not data, and LibTorch 1.13's C++ library has meta kernels for only
// part of the ops a step uses (relu, pooling, the convolutions' backends are missing). This
// fallback runs such an op on the CPU with zero-filled stand-ins and hands meta tensors back. It
// is also the check: a CPU tensor with elements among its arguments (0-d CPU scalars are allowed,
// as on CUDA) means the code made a tensor off the network's device, and the op throws.
[[noreturn]] void Mixed(const c10::OperatorHandle& op, const at::Tensor& t) {
  throw std::runtime_error("op " + op.schema().name() + " got a CPU tensor of shape " +
                           c10::str(t.sizes()) + " beside meta tensors: made off the device");
}

at::Tensor ToCpuStandIn(const c10::OperatorHandle& op, const at::Tensor& t) {
  if (!t.defined()) return t;
  if (t.is_meta()) return at::zeros(t.sizes(), t.options().device(at::kCPU));
  if (t.dim() > 0) Mixed(op, t);
  return t;
}

c10::IValue ArgumentToCpu(const c10::OperatorHandle& op, const c10::IValue& v) {
  if (v.isTensor()) return ToCpuStandIn(op, v.toTensor());
  if (v.isTensorList()) {
    c10::List<at::Tensor> list = v.toTensorList();
    c10::List<at::Tensor> out;
    for (const at::Tensor& t : list) out.push_back(ToCpuStandIn(op, t));
    return out;
  }
  if (v.isList() && !v.isIntList() && !v.isDoubleList() && !v.isBoolList()) {  // Tensor?[]
    c10::List<c10::IValue> list = v.toList();
    c10::impl::GenericList out(list.elementType());
    for (const c10::IValue& e : list) out.push_back(ArgumentToCpu(op, e));
    return out;
  }
  if (v.isDevice() && v.toDevice().is_meta()) return c10::Device(at::kCPU);
  return v;
}

// A meta tensor of t's shape and type (Tensor::to(kMeta) turns a 0-d tensor into a 1-d one).
at::Tensor MetaLike(const at::Tensor& t) {
  return t.defined() ? at::empty(t.sizes(), t.options().device(at::kMeta)) : t;
}

c10::IValue ResultToMeta(const c10::IValue& v) {
  if (v.isTensor()) return MetaLike(v.toTensor());
  if (v.isTensorList()) {
    c10::List<at::Tensor> out;
    for (const at::Tensor& t : v.toTensorList()) out.push_back(MetaLike(t));
    return out;
  }
  return v;
}

void MetaViaCpu(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const auto& schema = op.schema();
  const size_t arguments = schema.arguments().size();
  const size_t first = stack->size() - arguments;
  // Written arguments (out=, in-place self) get the stand-in's new shape after the call.
  std::vector<std::pair<at::Tensor, at::Tensor>> written;  // (meta original, CPU stand-in)
  for (size_t i = 0; i < arguments; ++i) {
    c10::IValue& v = (*stack)[first + i];
    const c10::IValue original = v;
    v = ArgumentToCpu(op, v);
    const auto* alias = schema.arguments()[i].alias_info();
    if (alias && alias->isWrite() && original.isTensor() && original.toTensor().is_meta()) {
      written.emplace_back(original.toTensor(), v.toTensor());
    }
  }
  op.callBoxed(stack);
  for (auto& [meta, cpu] : written) {
    if (meta.sizes() != cpu.sizes()) meta.resize_(cpu.sizes());
  }
  const size_t returns = schema.returns().size();
  for (size_t i = stack->size() - returns; i < stack->size(); ++i) {
    (*stack)[i] = ResultToMeta((*stack)[i]);
  }
}

// The convolution backends a meta tensor selects exist on no device; route them to the CPU's.
at::Tensor ConvolutionMeta(const at::Tensor& input, const at::Tensor& weight,
                           const c10::optional<at::Tensor>& bias, at::IntArrayRef stride,
                           at::IntArrayRef padding, at::IntArrayRef dilation, bool transposed,
                           at::IntArrayRef output_padding, int64_t groups) {
  auto cpu = [](const at::Tensor& t) { return at::zeros(t.sizes(), t.options().device(at::kCPU)); };
  c10::optional<at::Tensor> b;
  if (bias && bias->defined()) b = cpu(*bias);
  return MetaLike(at::convolution(cpu(input), cpu(weight), b, stride, padding, dilation,
                                  transposed, output_padding, groups));
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> ConvolutionBackwardMeta(
    const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& weight,
    at::IntArrayRef /*stride*/, at::IntArrayRef /*padding*/, at::IntArrayRef /*dilation*/,
    bool /*transposed*/, at::IntArrayRef /*output_padding*/, int64_t /*groups*/,
    std::array<bool, 3> mask) {
  return {mask[0] ? at::empty_like(input) : at::Tensor(),
          mask[1] ? at::empty_like(weight) : at::Tensor(),
          mask[2] ? at::empty({weight.size(0)}, grad_output.options()) : at::Tensor()};
}

TORCH_LIBRARY_IMPL(_, Meta, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&MetaViaCpu>());
}

TORCH_LIBRARY_IMPL(aten, Meta, m) {
  m.impl("convolution_overrideable", ConvolutionMeta);
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

// Host data, as a job holds it: each batch moves to the network's device in the step.
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
    if (p.value().grad().defined()) {
      EXPECT_EQ(p.value().grad().device(), d) << p.key() << " grad";
    }
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

// The case's graph (an unknown zoo name is a bug of this file).
Graph ZooGraph(const ZooCase& c) {
  auto graph = BuildZooModel(c.model, c.shape, 10, c.width);
  if (!graph.ok()) throw std::runtime_error(std::string(graph.status().message()));
  return *graph;
}

NetworkOptions OnMeta(QuantizerFactory quantizers = nullptr) {
  NetworkOptions o;
  o.device = kMeta;
  o.quantizers = std::move(quantizers);
  return o;
}

PhasePlan TwoSteps(const std::string& name) {
  PhasePlan plan;
  plan.name = name;
  plan.epochs = 1;
  plan.batch_size = 4;  // 8 samples: two steps
  return plan;
}

absl::Status RunTwoSteps(NetworkImpl& net, torch::optim::Optimizer& opt, const Split& data,
                         const PhasePlan& plan) {
  return RunPhase(net, opt, data, plan, PhaseCursor{}, /*observer=*/nullptr,
                  /*checkpoint_every=*/0, nullptr);
}

TEST(DeviceTest, FloatStepsCreateNothingOffTheNetworksDevice) {
  for (const ZooCase& c : Cases()) {
    SCOPED_TRACE(c.model);
    Network net(ZooGraph(c), OnMeta());  // BatchNorms unfolded, as pretraining trains them
    ExpectOnDevice(*net, kMeta);
    net->SetQuantMode(QuantMode::kBypass);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-3));
    ASSERT_TRUE(RunTwoSteps(*net, adam, HostData(c.shape, 8), TwoSteps("pretrain")).ok());
    ExpectOnDevice(*net, kMeta);
    ExpectOnDevice(adam, kMeta);
  }
}

TEST(DeviceTest, BayesianBitsSearchStepsCreateNothingOffTheNetworksDevice) {
  for (const ZooCase& c : Cases()) {
    SCOPED_TRACE(c.model);
    Network net(FoldedStructure(ZooGraph(c)), OnMeta());
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
    ASSERT_TRUE(RunTwoSteps(*net, adam.adam(), HostData(c.shape, 8), plan).ok());
    ExpectOnDevice(*net, kMeta);
    ExpectOnDevice(adam.adam(), kMeta);
  }
}

TEST(DeviceTest, FracBitsSearchStepsCreateNothingOffTheNetworksDevice) {
  for (const ZooCase& c : Cases()) {
    SCOPED_TRACE(c.model);
    const Graph folded = FoldedStructure(ZooGraph(c));
    Network net(folded, OnMeta(fracbits::FracBitsQuantizers()));
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
    ASSERT_TRUE(RunTwoSteps(*net, adam, HostData(c.shape, 8), plan).ok());
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
