#include "search/quantizer.h"

#include <algorithm>
#include <stdexcept>

#include "search/bb_kernel.h"
#include "search/hard_concrete.h"

namespace bitsearch {

int BitsFromGates(const float* z) {
  int bits = 2;
  for (int k = 0; k < 4 && z[k] > 0.5f; ++k) bits *= 2;
  return bits;
}

BBQuantizerImpl& AsBayesianBits(TensorQuantizerImpl& q) {
  auto* bb = dynamic_cast<BBQuantizerImpl*>(&q);
  if (!bb) throw std::logic_error("quantizer: not a Bayesian Bits quantizer");
  return *bb;
}

BBQuantizerImpl::BBQuantizerImpl(const QuantizerConfig& config) : TensorQuantizerImpl(config) {
  if (!config_.is_weight) config_.prunable = false;
  auto alive = torch::zeros({4});
  for (int k = 0; k < 4; ++k) {
    if (kBBBits[k + 1] <= config_.max_bits) alive[k] = 1.0f;
  }
  x_max = Parameter("x_max", torch::ones({}));
  log_alpha = Parameter("log_alpha", torch::full({4}, config_.gate_init) * alive +
                                                   (1 - alive) * kHcPermanentOff * 3);
  if (config_.prunable) {
    log_alpha_z2 =
        Parameter("log_alpha_z2", torch::full({config_.channels}, config_.gate_init));
    alive_z2_ = Buffer("alive_z2", torch::ones({config_.channels}));
  }
  alive_ = Buffer("alive", alive);
  signed_ = Buffer("signed", torch::zeros({}, torch::kBool));
  initialized_ = Buffer("initialized", torch::zeros({}, torch::kBool));
  fixed_zs_ = Buffer("fixed_zs", alive.clone());
  fixed_z2_ = Buffer("fixed_z2", torch::ones({config_.prunable ? config_.channels : 1}));
}

void BBQuantizerImpl::InitRange(const torch::Tensor& data) {
  torch::NoGradGuard no_grad;
  auto d = data.detach().to(torch::kFloat);
  float mx = std::max(d.max().item<float>(), 0.0f);
  float mn = d.min().item<float>();
  // Guard against an all-zero tensor: a zero range would divide by zero.
  if (mx <= 1e-8f) mx = std::max(-mn, 1e-3f);
  x_max.fill_(mx);
  SetSigned(signed_, mn < 0.0f);
  initialized_.fill_(true);
}

void BBQuantizerImpl::FixBits(int bits, const std::vector<uint8_t>& keep) {
  torch::NoGradGuard no_grad;
  fixed_zs_.zero_();
  for (int k = 0; k < 4; ++k) {
    if (bits >= kBBBits[k + 1]) fixed_zs_[k] = 1.0f;
  }
  fixed_z2_.fill_(bits == 0 ? 0.0f : 1.0f);
  if (!keep.empty() && bits != 0) {
    if (static_cast<int64_t>(keep.size()) != fixed_z2_.numel()) {
      throw std::invalid_argument("FixBits: channel mask size does not match the quantizer");
    }
    for (size_t c = 0; c < keep.size(); ++c) fixed_z2_[c] = keep[c] ? 1.0f : 0.0f;
  }
  mode_ = Mode::kFixed;
}

void BBQuantizerImpl::ApplyPermanentOff() {
  torch::NoGradGuard no_grad;
  auto off = (log_alpha <= kHcPermanentOff).to(torch::kFloat);
  // A gate going off takes every gate above it along: cumulative max from the bottom up.
  auto dead = std::get<0>(torch::cummax(off, 0));
  alive_.mul_(1 - dead);
  if (config_.prunable) alive_z2_.mul_((log_alpha_z2 > kHcPermanentOff).to(torch::kFloat));
}

torch::Tensor BBQuantizerImpl::CurrentGates(torch::Tensor* z2) {
  if (mode_ == Mode::kFixed) {
    *z2 = fixed_z2_;
    return fixed_zs_;
  }
  if (is_training()) {
    if (!generator_.defined()) throw std::logic_error("quantizer: no generator for gate noise");
    auto zs = SampleHardConcrete(log_alpha, generator_) * alive_;
    *z2 = config_.prunable ? SampleHardConcrete(log_alpha_z2, generator_) * alive_z2_
                           : fixed_z2_;
    return zs;
  }
  auto zs = DeterministicGate(log_alpha) * alive_;
  // A gate above a closed one is meaningless; zero it so the level count is right.
  zs = std::get<0>(torch::cummin(zs, 0));
  *z2 = config_.prunable ? DeterministicGate(log_alpha_z2) * alive_z2_ : fixed_z2_;
  return zs;
}

torch::Tensor BBQuantizerImpl::forward(const torch::Tensor& x) {
  switch (mode_) {
    case Mode::kBypass:
      return x;
    case Mode::kCalibrate:
      if (!range_initialized()) InitRange(x);
      return x;
    default:
      break;
  }
  torch::Tensor z2;
  torch::Tensor zs = CurrentGates(&z2);
  // Keep the range positive whatever the optimizer does to it.
  torch::Tensor xm = x_max.clamp_min(1e-6);
  return BBQuantize(x, xm, z2, zs, is_signed());
}

int BBQuantizerImpl::DecidedBits() {
  torch::NoGradGuard no_grad;
  if (mode_ == Mode::kFixed) {
    if (fixed_z2_.sum().item<float>() == 0.0f) return 0;
    auto z = fixed_zs_.to(torch::kCPU).contiguous();  // read on the host
    return BitsFromGates(z.data_ptr<float>());
  }
  auto keep = DecidedKeep();
  if (std::none_of(keep.begin(), keep.end(), [](uint8_t k) { return k != 0; })) return 0;
  auto z = (DeterministicGate(log_alpha) * alive_).to(torch::kCPU).contiguous();
  return BitsFromGates(z.data_ptr<float>());
}

std::vector<uint8_t> BBQuantizerImpl::DecidedKeep() {
  torch::NoGradGuard no_grad;
  torch::Tensor mask;
  if (mode_ == Mode::kFixed) {
    mask = fixed_z2_;
  } else if (config_.prunable) {
    mask = DeterministicGate(log_alpha_z2) * alive_z2_;
  } else {
    return std::vector<uint8_t>(config_.is_weight ? config_.channels : 1, 1);
  }
  mask = mask.to(torch::kCPU).contiguous();  // read on the host
  std::vector<uint8_t> keep(mask.numel());
  const float* m = mask.data_ptr<float>();
  for (size_t c = 0; c < keep.size(); ++c) keep[c] = m[c] > 0.5f;
  if (!config_.prunable && config_.is_weight) keep.assign(config_.channels, keep[0]);
  return keep;
}

std::vector<torch::Tensor> BBQuantizerImpl::MethodParameters() {
  if (log_alpha_z2.defined()) return {log_alpha, log_alpha_z2};
  return {log_alpha};
}

torch::Tensor BBQuantizerImpl::GateProbs() { return ProbActive(log_alpha) * alive_; }

torch::Tensor BBQuantizerImpl::ChannelProbs() {
  if (!config_.prunable) return torch::Tensor();
  return ProbActive(log_alpha_z2) * alive_z2_;
}

}  // namespace bitsearch
