#include "search/methods/fracbits/fracbits_quantizer.h"

#include <algorithm>

#include "search/methods/fracbits/blend.h"
#include "search/methods/fracbits/expected_cost.h"
#include "search/methods/fracbits/fracbits_rounding.h"

namespace bitsearch::fracbits {
namespace {

// How far inside [min_bits, max_bits] the projection keeps a searched width: at a grid width
// the blend's gradient vanishes and the width could never move again.
constexpr double kEdge = 0.01;

double StartWidth(int max_bits) {
  const int top = GridIndex(max_bits);
  return BitsAtPosition(top - 0.1);
}

}  // namespace

FracBitsQuantizerImpl::FracBitsQuantizerImpl(const QuantizerConfig& config)
    : TensorQuantizerImpl(config) {
  config_.prunable = false;
  config_.max_bits = std::clamp(config_.max_bits, kGrid.front(), kGrid.back());
  x_max = Parameter("x_max", torch::ones({}));
  const float start = static_cast<float>(StartWidth(config_.max_bits));
  bits = Parameter("bits", torch::full({}, start));
  channel_bits = Parameter(
      "channel_bits", torch::full({config_.is_weight ? config_.channels : 1}, start));
  per_channel_ = Buffer("per_channel", torch::zeros({}, torch::kBool));
  min_bits_ = Buffer("min_bits", torch::full({}, kGrid.front(), torch::kLong));
  min_bits_host_ = kGrid.front();
  fixed_bits_ = Buffer("fixed_bits", torch::full({}, config_.max_bits, torch::kLong));
  signed_ = Buffer("signed", torch::zeros({}, torch::kBool));
  initialized_ = Buffer("initialized", torch::zeros({}, torch::kBool));
}

void FracBitsQuantizerImpl::InitRange(const torch::Tensor& data) {
  torch::NoGradGuard no_grad;
  auto d = data.detach().to(torch::kFloat);
  float mx = std::max(d.max().item<float>(), 0.0f);
  const float mn = d.min().item<float>();
  if (mx <= 1e-8f) mx = std::max(-mn, 1e-3f);  // a zero range would divide by zero
  x_max.fill_(mx);
  SetSigned(signed_, mn < 0.0f);
  initialized_.fill_(true);
}

torch::Tensor FracBitsQuantizerImpl::EffectiveBits() {
  return ActiveBits().clamp(static_cast<double>(min_bits()), static_cast<double>(config_.max_bits));
}

void FracBitsQuantizerImpl::set_per_channel(bool on) {
  torch::NoGradGuard no_grad;
  on = on && config_.is_weight;
  if (on && !per_channel()) channel_bits.fill_(bits.item<float>());
  per_channel_.fill_(on);
  per_channel_host_ = on;
}

void FracBitsQuantizerImpl::set_min_bits(int b) {
  torch::NoGradGuard no_grad;
  min_bits_host_ = std::min(b, config_.max_bits);
  min_bits_.fill_(min_bits_host_);
  AfterStep();
}

void FracBitsQuantizerImpl::AfterStep() {
  torch::NoGradGuard no_grad;
  const double lo = min_bits(), hi = config_.max_bits;
  for (torch::Tensor* t : {&bits, &channel_bits}) {
    if (lo >= hi) {
      t->fill_(hi);
    } else {
      t->clamp_(lo + kEdge, hi - kEdge);
    }
  }
}

torch::Tensor FracBitsQuantizerImpl::forward(const torch::Tensor& x) {
  switch (mode_) {
    case QuantMode::kBypass:
      return x;
    case QuantMode::kCalibrate:
      if (!range_initialized()) InitRange(x);
      return x;
    default:
      break;
  }
  // Keep the range positive whatever the optimizer does to it.
  torch::Tensor xm = x_max.clamp_min(1e-6);
  if (mode_ == QuantMode::kFixed) {
    const int b = static_cast<int>(fixed_bits_.item<int64_t>());
    if (b == 0) return torch::zeros_like(x);
    return GridQuantize(x, xm, b, is_signed());
  }
  return BlendedQuantize(x, xm, EffectiveBits(), is_signed());
}

void FracBitsQuantizerImpl::FixBits(int b, const std::vector<uint8_t>& keep) {
  (void)keep;
  fixed_bits_.fill_(b);
  mode_ = QuantMode::kFixed;
}

int FracBitsQuantizerImpl::DecidedBits() {
  if (mode_ == QuantMode::kFixed) return static_cast<int>(fixed_bits_.item<int64_t>());
  torch::NoGradGuard no_grad;
  const double mean = EffectiveBits().mean().item<double>();
  return RoundedBits(GridPosition(mean), 0.0, min_bits(), config_.max_bits);
}

std::vector<uint8_t> FracBitsQuantizerImpl::DecidedKeep() {
  return std::vector<uint8_t>(config_.is_weight ? config_.channels : 1, 1);
}

BitDistribution FracBitsQuantizerImpl::Distribution() {
  if (mode_ == QuantMode::kFixed) return TensorQuantizerImpl::Distribution();
  torch::Tensor p = WidthProbabilities(EffectiveBits());  // P(2), P(4), P(8), P(16)
  torch::Tensor at_least = p.flip(0).cumsum(0).flip(0);   // P(>=2), ..., P(>=16)
  torch::Tensor step_up = at_least.slice(0, 1, 4) / at_least.slice(0, 0, 3).clamp_min(1e-12);
  return {torch::cat({step_up, torch::zeros({1}, step_up.options())}), torch::Tensor()};
}

FracBitsQuantizerImpl* AsFracBits(TensorQuantizerImpl& q) {
  return dynamic_cast<FracBitsQuantizerImpl*>(&q);
}

QuantizerFactory FracBitsQuantizers() {
  return [](const QuantizerConfig& config) -> TensorQuantizer {
    return std::make_shared<FracBitsQuantizerImpl>(config);
  };
}

}  // namespace bitsearch::fracbits
