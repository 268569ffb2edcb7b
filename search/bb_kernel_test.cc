// Unit tests of the Bayesian Bits quantizer's math (arXiv:2005.07093: quantizer, gates, prior).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <set>

#include "nlohmann/json.hpp"
#include "search/bb_kernel.h"
#include "search/hard_concrete.h"
#include "search/prior.h"
#include "search/network.h"
#include "search/quantizer.h"
#include "search/zoo.h"

namespace bitsearch {
namespace {

torch::Tensor GatesUpTo(int bits) {
  auto z = torch::zeros({4});
  for (int k = 0; k < 4; ++k) {
    if (bits >= kBBBits[k + 1]) z[k] = 1.0f;
  }
  return z;
}

torch::Tensor StepSize(double x_max, bool is_signed, int bits) {
  float s = static_cast<float>(is_signed ? 2 * x_max : x_max) / 3.0f;
  for (int k = 1; k < 5 && kBBBits[k] <= bits; ++k) s /= static_cast<float>(kBBDivisors[k]);
  return torch::tensor(s);
}

nlohmann::json Reference() {
  std::ifstream in(std::string(BITSEARCH_TESTDATA) + "/bb_reference_vectors.json");
  return nlohmann::json::parse(in);
}

TEST(BBKernelTest, MatchesReferenceQuantizerOutputs) {
  auto ref = Reference();
  for (const auto& c : ref["cases"]) {
    bool is_signed = c["tensor"] == "signed";
    int bits = c["gates_on_up_to_bits"];
    auto x = torch::tensor(c["x"].get<std::vector<float>>());
    auto y = torch::tensor(c["y"].get<std::vector<float>>());
    auto xm = torch::tensor(c["x_max"].get<float>());
    auto ones = torch::ones({1});
    for (auto q : {BBQuantize(x, xm, ones, GatesUpTo(bits), is_signed),
                   BBQuantizeComposite(x, xm, ones, GatesUpTo(bits), is_signed)}) {
      // Absolute tolerance at the float resolution of the inputs (32-bit grids are below it).
      EXPECT_TRUE(torch::allclose(q, y, 0, 1e-6)) << c["tensor"] << " " << bits << " bits: max error "
                                                   << (q - y).abs().max().item<float>() << " at x="
                                                   << x[(q - y).abs().argmax().item<int64_t>()].item<float>()
                                                   << " got " << q[(q - y).abs().argmax().item<int64_t>()].item<float>()
                                                   << " want " << y[(q - y).abs().argmax().item<int64_t>()].item<float>();
    }
  }
}

TEST(BBKernelTest, GatesOnUpToBEqualPlainRoundingOntoTheGrid) {
  torch::manual_seed(3);
  auto x = torch::randn({4096}) * 1.5;
  for (bool is_signed : {true, false}) {
    for (int bits : {2, 4, 8, 16}) {
      auto xm = torch::tensor(1.25f);
      auto q = BBQuantize(x, xm, torch::ones({1}), GatesUpTo(bits), is_signed);
      auto s = StepSize(1.25, is_signed, bits);
      auto xc = torch::clamp(x, is_signed ? -1.25 * (1 - 1e-7) : 0.0, 1.25 * (1 - 1e-7));
      auto plain = s * torch::round(xc / s);
      // Ties aside: skip values within float noise of a rounding boundary.
      auto frac = (xc / s - torch::floor(xc / s) - 0.5).abs();
      // At 16 bits the step nears float resolution; a wider margin keeps clear of ties.
      auto mask = frac > (bits == 16 ? 0.05 : 1e-3);
      auto err = ((q - plain).abs() * mask).max().item<float>();
      EXPECT_LT(err, 1e-5 + s.item<float>() * 1e-3) << bits << " bits, signed " << is_signed;
    }
  }
}

TEST(BBKernelTest, LevelCountsAreSigned2bMinus1AndUnsigned2b) {
  auto x = torch::linspace(-2, 2, 200001);
  for (int bits : {2, 4, 8}) {
    for (bool is_signed : {true, false}) {
      auto q = BBQuantize(x, torch::tensor(1.0f), torch::ones({1}), GatesUpTo(bits), is_signed);
      auto levels = std::get<0>(at::_unique(q));
      int64_t expected = is_signed ? (1 << bits) - 1 : (1 << bits);
      EXPECT_EQ(levels.numel(), expected) << bits << " bits, signed " << is_signed;
    }
  }
}

TEST(BBKernelTest, PrunedChannelsAreZeroAndOthersQuantized) {
  auto w = torch::randn({4, 3, 3, 3});
  auto z2 = torch::tensor({1.0f, 0.0f, 1.0f, 0.0f});
  auto q = BBQuantize(w, torch::tensor(1.0f), z2, GatesUpTo(8), true);
  EXPECT_EQ(q[1].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(q[3].abs().sum().item<float>(), 0.0f);
  EXPECT_GT(q[0].abs().sum().item<float>(), 0.0f);
}

// The fused kernel's gradients equal autograd through the composite version (STE rounding).
TEST(BBKernelTest, FusedGradientsMatchComposite) {
  torch::manual_seed(5);
  for (bool is_signed : {true, false}) {
    for (bool per_channel : {true, false}) {
      auto x0 = torch::randn({8, 5, 3, 3});
      auto up = torch::randn({8, 5, 3, 3});
      auto xm0 = torch::tensor(0.9f);
      auto z20 = per_channel ? torch::rand({8}) * 0.8 + 0.1 : torch::ones({1});
      auto zs0 = torch::tensor({0.7f, 0.6f, 0.4f, 0.3f});
      std::vector<torch::Tensor> grads[2];
      for (int impl = 0; impl < 2; ++impl) {
        auto x = x0.clone().requires_grad_(true);
        auto xm = xm0.clone().requires_grad_(true);
        auto z2 = z20.clone().requires_grad_(per_channel);
        auto zs = zs0.clone().requires_grad_(true);
        auto q = impl == 0 ? BBQuantize(x, xm, z2, zs, is_signed) : BBQuantizeComposite(x, xm, z2, zs, is_signed);
        (q * up).sum().backward();
        grads[impl] = {x.grad(), xm.grad(), zs.grad()};
        if (per_channel) grads[impl].push_back(z2.grad());
      }
      for (size_t g = 0; g < grads[0].size(); ++g) {
        EXPECT_TRUE(torch::allclose(grads[0][g], grads[1][g], 1e-4, 1e-4))
            << "grad " << g << " signed " << is_signed << " per_channel " << per_channel << "\n"
            << grads[0][g].flatten().slice(0, 0, 6) << grads[1][g].flatten().slice(0, 0, 6);
      }
    }
  }
}

// x_q is multilinear in the gates, so central differences are exact: check the gate gradients
// by finite differences (no straight-through estimate is involved there).
TEST(BBKernelTest, GateGradientsMatchFiniteDifferences) {
  torch::manual_seed(7);
  auto x = torch::randn({6, 40});
  auto up = torch::randn({6, 40});
  auto xm = torch::tensor(1.1f);
  auto z2 = (torch::rand({6}) * 0.5 + 0.4).requires_grad_(true);
  auto zs = torch::tensor({0.8f, 0.7f, 0.6f, 0.5f}).requires_grad_(true);
  (BBQuantize(x, xm, z2, zs, true) * up).sum().backward();
  auto f = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return (BBQuantize(x, xm, a, b, true) * up).sum().item<double>();
  };
  const double h = 1e-2;
  for (int k = 0; k < 4; ++k) {
    auto plus = zs.detach().clone(), minus = zs.detach().clone();
    plus[k] += h;
    minus[k] -= h;
    double fd = (f(z2.detach(), plus) - f(z2.detach(), minus)) / (2 * h);
    EXPECT_NEAR(zs.grad()[k].item<double>(), fd, 1e-3 * std::max(1.0, std::abs(fd))) << "gate " << k;
  }
  for (int c = 0; c < 6; ++c) {
    auto plus = z2.detach().clone(), minus = z2.detach().clone();
    plus[c] += h;
    minus[c] -= h;
    double fd = (f(plus, zs.detach()) - f(minus, zs.detach())) / (2 * h);
    EXPECT_NEAR(z2.grad()[c].item<double>(), fd, 1e-3 * std::max(1.0, std::abs(fd))) << "channel " << c;
  }
}

TEST(BBKernelTest, RangeGetsAGradientFromClippedValues) {
  auto x = torch::tensor({-3.0f, -0.2f, 0.3f, 4.0f});
  auto xm = torch::tensor(1.0f).requires_grad_(true);
  BBQuantize(x, xm, torch::ones({1}), GatesUpTo(8), true).sum().backward();
  // Clipped at +1 and -1: d/dx_max = +1 - 1 from the clip plus the rounding terms, finite.
  EXPECT_TRUE(std::isfinite(xm.grad().item<float>()));
  auto xm2 = torch::tensor(1.0f).requires_grad_(true);
  BBQuantize(torch::tensor({5.0f}), xm2, torch::ones({1}), GatesUpTo(8), false).sum().backward();
  EXPECT_NEAR(xm2.grad().item<float>(), 1.0f, 1e-5);
}

TEST(BBKernelTest, GradientsAreIdenticalWhateverTheThreadCount) {
  torch::manual_seed(11);
  auto x0 = torch::randn({70000});
  std::vector<torch::Tensor> got;
  const int before = torch::get_num_threads();
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    auto xm = torch::tensor(1.0f).requires_grad_(true);
    auto zs = torch::tensor({0.9f, 0.8f, 0.0f, 0.0f}).requires_grad_(true);
    BBQuantize(x0, xm, torch::ones({1}), zs, true).sum().backward();
    got.push_back(torch::cat({xm.grad().view({1}), zs.grad()}));
  }
  torch::set_num_threads(before);  // the tests after this one in the same process keep theirs
  EXPECT_TRUE(torch::equal(got[0], got[1]));
}

// Forward output and every gradient of one BBQuantize call, concatenated.
torch::Tensor OutputsAndGradients(const torch::Tensor& x0, const torch::Tensor& z20, int bits,
                                  bool is_signed) {
  auto x = x0.clone().requires_grad_(true);
  auto xm = torch::tensor(1.3f).requires_grad_(true);
  auto z2 = z20.clone().requires_grad_(true);
  auto zs = (GatesUpTo(bits) * 0.75f).requires_grad_(true);
  auto y = BBQuantize(x, xm, z2, zs, is_signed);
  (y * torch::linspace(-1, 2, y.numel()).view(y.sizes())).sum().backward();
  return torch::cat({y.flatten(), x.grad().flatten(), xm.grad().view({1}), z2.grad().flatten(),
                     zs.grad()});
}

// Every instruction set the kernel has loops for on this machine gives bit-identical outputs and
// gradients: odd lengths (the 4-lane and scalar tails after the wide loop), every level count,
// signed and unsigned, per-tensor and per-channel gates (one closed), values on rounding ties.
TEST(BBKernelTest, EveryInstructionSetGivesIdenticalResults) {
  const auto sets = BBKernelInstructionSets();
  ASSERT_FALSE(sets.empty());
  EXPECT_EQ(sets.front(), "generic");
  EXPECT_EQ(BBKernelInstructionSet(), sets.back());  // the widest by default
  EXPECT_FALSE(UseBBKernelInstructionSet("sse9"));
  EXPECT_EQ(BBKernelInstructionSet(), sets.back());
  if (sets.size() == 1) GTEST_SKIP() << "only the generic loops run on this machine";
  torch::manual_seed(5);
  struct Case {
    torch::Tensor x, z2;
  };
  std::vector<Case> cases;
  for (int64_t n : {1, 3, 7, 15, 17, 31, 255, 257, 1000, 16384 + 13, 40000}) {
    auto x = torch::randn({n}) * 1.5;
    cases.push_back({x, torch::ones({1})});
  }
  auto ties = torch::arange(-30, 31).to(torch::kFloat) * (2.6f / 3.0f / 5.0f) / 2.0f;  // half steps
  cases.push_back({ties, torch::ones({1})});
  cases.push_back({torch::randn({6, 3, 5, 5}), torch::tensor({1.0f, 0.6f, 0.0f, 1.0f, 0.9f, 1.0f})});
  for (const auto& c : cases) {
    for (int bits : {2, 4, 8, 16, 32}) {
      for (bool is_signed : {true, false}) {
        std::vector<torch::Tensor> got;
        for (const auto& set : sets) {
          ASSERT_TRUE(UseBBKernelInstructionSet(set));
          got.push_back(OutputsAndGradients(c.x, c.z2, bits, is_signed));
        }
        for (size_t i = 1; i < sets.size(); ++i) {
          EXPECT_TRUE(torch::equal(got[i], got[0]))
              << sets[i] << " vs generic: " << c.x.numel() << " elements, " << bits << " bits, "
              << (is_signed ? "signed" : "unsigned") << ", max difference "
              << (got[i] - got[0]).abs().max().item<float>();
        }
      }
    }
  }
  ASSERT_TRUE(UseBBKernelInstructionSet(sets.back()));  // the tests after this one get the default
}

TEST(HardConcreteTest, SamplesLieInUnitIntervalAndHitBothEnds) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  auto z = SampleHardConcrete(torch::zeros({20000}), gen);
  EXPECT_GE(z.min().item<float>(), 0.0f);
  EXPECT_LE(z.max().item<float>(), 1.0f);
  EXPECT_GT((z == 0).sum().item<int64_t>(), 0);
  EXPECT_GT((z == 1).sum().item<int64_t>(), 0);
  // A large log_alpha is almost always fully on, a small one almost always off.
  EXPECT_GT(SampleHardConcrete(torch::full({1000}, 6.0), gen).mean().item<float>(), 0.99f);
  EXPECT_LT(SampleHardConcrete(torch::full({1000}, -6.0), gen).mean().item<float>(), 0.01f);
}

TEST(HardConcreteTest, DeterministicRuleAndActivityMatchReference) {
  auto ref = Reference();
  for (const auto& p : ref["prob_active"]) {
    auto la = torch::tensor(p["log_alpha"].get<float>());
    EXPECT_NEAR(ProbActive(la).item<double>(), p["q"].get<double>(), 1e-6);
  }
  // The test-time threshold sits at P(z=0) = 0.34, i.e. log_alpha ~ -0.935.
  EXPECT_EQ(DeterministicGate(torch::tensor(-0.90f)).item<float>(), 1.0f);
  EXPECT_EQ(DeterministicGate(torch::tensor(-0.97f)).item<float>(), 0.0f);
}

TEST(QuantizerTest, PermanentOffClosesTheGateAndEveryGateAbove) {
  QuantizerConfig cfg;
  cfg.max_bits = 32;
  BBQuantizer q(cfg);
  {
    torch::NoGradGuard ng;
    q->log_alpha[1] = -2.5;  // z8
  }
  q->ApplyPermanentOff();
  {
    torch::NoGradGuard ng;
    q->log_alpha[1] = 6.0;  // coming back later changes nothing
  }
  q->eval();
  q->set_mode(BBQuantizerImpl::Mode::kSearch);
  EXPECT_EQ(q->DecidedBits(), 4);
  auto probs = q->GateProbs();
  EXPECT_EQ(probs[1].item<float>(), 0.0f);
  EXPECT_EQ(probs[3].item<float>(), 0.0f);
}

TEST(QuantizerTest, MaxBitsDisablesHigherGates) {
  QuantizerConfig cfg;
  cfg.max_bits = 4;
  BBQuantizer q(cfg);
  q->eval();
  q->set_mode(BBQuantizerImpl::Mode::kSearch);
  EXPECT_EQ(q->DecidedBits(), 4);
}

// A standalone network of one quantizer is enough for the regulariser's value.
TEST(PriorTest, RegulariserMatchesReferenceAndFallsAsGatesClose) {
  auto ref = Reference()["regularizer"][0];
  auto la = ref["log_alpha_4_8_16_32"].get<std::vector<float>>();
  auto q = ProbActive(torch::tensor(la));
  double scale = ref["macs"].get<double>() / ref["max_macs"].get<double>();
  auto r = (torch::cumprod(q, 0) * torch::tensor({4.0f, 8.0f, 16.0f, 32.0f})).sum() * scale + 1.0;
  EXPECT_NEAR(r.item<double>(), ref["R"].get<double>(), 1e-4);

  auto g = BuildZooModel("lenet5", {1, 28, 28}, 10, 1.0);
  ASSERT_TRUE(g.ok());
  Network net(*g, NetworkOptions{});
  BopsPrior prior(*net);
  double previous = prior.Compute(*net).item<double>();
  for (double la : {2.0, 0.0, -1.0, -3.0}) {
    torch::NoGradGuard ng;
    for (auto& p : net->QuantizerParameters()) p.fill_(la);
    double now = prior.Compute(*net).item<double>();
    EXPECT_LT(now, previous) << "log_alpha " << la;
    previous = now;
  }
}

}  // namespace
}  // namespace bitsearch
