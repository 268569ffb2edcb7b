#include "search/ptq/ptq_quantizer.h"

#include <stdexcept>

#include "search/ptq/adaround.h"
#include "search/ptq/grid.h"

namespace bitsearch {

PtqQuantizerImpl::PtqQuantizerImpl(const QuantizerConfig& config) : TensorQuantizerImpl(config) {
  x_max = Parameter("x_max", torch::ones({}));
  signed_ = Buffer("signed", torch::zeros({}, torch::kBool));
  initialized_ = Buffer("initialized", torch::zeros({}, torch::kBool));
  bits_ = Buffer("bits", torch::full({}, 32, torch::kLong));
  keep_ = Buffer("keep", torch::ones({config.is_weight ? config.channels : 1}));
  rounding_ = Buffer("rounding", torch::zeros({0}));
}

void PtqQuantizerImpl::InitRange(const torch::Tensor& data) {
  torch::NoGradGuard no_grad;
  const float lo = data.min().item<float>(), hi = data.max().item<float>();
  const bool s = lo < 0;
  SetRange(torch::tensor(std::max(s ? std::max(-lo, hi) : hi, 1e-6f)), s);
}

void PtqQuantizerImpl::SetRange(const torch::Tensor& x_max_value, bool is_signed) {
  torch::NoGradGuard no_grad;
  torch::Tensor v = x_max_value.detach().to(x_max.device(), torch::kFloat).clamp_min(1e-6);
  x_max.set_(v.numel() == 1 ? v.reshape({}).clone() : v.reshape({-1}).clone());
  SetSigned(signed_, is_signed);
  initialized_.fill_(true);
}

torch::Tensor PtqQuantizerImpl::Step() {
  return GridStep(x_max.detach(), static_cast<int>(bits_.item<int64_t>()), is_signed());
}

void PtqQuantizerImpl::FixBits(int bits, const std::vector<uint8_t>& keep) {
  torch::NoGradGuard no_grad;
  bits_.fill_(bits);
  keep_.fill_(1.0f);
  for (size_t c = 0; c < keep.size() && c < static_cast<size_t>(keep_.numel()); ++c) {
    if (!keep[c]) keep_[c] = 0.0f;
  }
  mode_ = QuantMode::kFixed;
}

int PtqQuantizerImpl::DecidedBits() {
  if (keep_.sum().item<float>() == 0) return 0;
  return static_cast<int>(bits_.item<int64_t>());
}

std::vector<uint8_t> PtqQuantizerImpl::DecidedKeep() {
  std::vector<uint8_t> out(static_cast<size_t>(config_.is_weight ? config_.channels : 1), 1);
  if (!config_.is_weight) return out;
  torch::Tensor k = keep_.contiguous();
  for (size_t c = 0; c < out.size(); ++c) out[c] = k[static_cast<int64_t>(c)].item<float>() > 0;
  return out;
}

void PtqQuantizerImpl::SetSoftRounding(const torch::Tensor& v) {
  soft_ = v;
}

void PtqQuantizerImpl::SetHardRounding(const torch::Tensor& up) {
  torch::NoGradGuard no_grad;
  soft_ = torch::Tensor();
  rounding_.set_(up.detach().to(torch::kFloat).clone());
}

void PtqQuantizerImpl::ClearRounding() {
  torch::NoGradGuard no_grad;
  soft_ = torch::Tensor();
  rounding_.set_(torch::zeros({0}, rounding_.options()));
}

torch::Tensor PtqQuantizerImpl::Quantize(const torch::Tensor& x) {
  const int bits = static_cast<int>(bits_.item<int64_t>());
  torch::Tensor xm = ChannelView(x_max, x);
  torch::Tensor q;
  if (bits == 0) {
    q = torch::zeros_like(x);
  } else if (soft_.defined() || rounding_.numel() > 0) {
    // Learned rounding: the weight itself carries no gradient (AdaRound trains V only).
    torch::Tensor step = GridStep(xm.detach(), bits, is_signed());
    q = RoundedWeight(x.detach(), step, soft_.defined() ? RectifiedSigmoid(soft_) : rounding_, bits,
                      is_signed());
  } else {
    // Clip with a gradient to x_max from clipped values (as the Bayesian Bits quantizer does),
    // then round with a straight-through gradient.
    torch::Tensor hi = xm * kGridClipShrink;
    torch::Tensor lo = is_signed() ? -hi : torch::zeros_like(hi);
    torch::Tensor c = hi - torch::relu(hi - lo - torch::relu(x - lo));
    if (bits >= 32) {
      q = c;
    } else {
      torch::Tensor s = GridStep(xm, bits, is_signed());
      q = c + (RoundToGrid(c, s, bits, is_signed()) - c).detach();
    }
  }
  if (config_.is_weight) q = q * ChannelView(keep_, q);
  return q;
}

torch::Tensor PtqQuantizerImpl::forward(const torch::Tensor& x) {
  switch (mode_) {
    case QuantMode::kBypass:
      return x;
    case QuantMode::kCalibrate:
      InitRange(x.detach());
      return x;
    case QuantMode::kSearch:
    case QuantMode::kFixed:
      return Quantize(x);
  }
  return x;
}

QuantizerFactory PtqQuantizers() {
  return [](const QuantizerConfig& config) -> TensorQuantizer { return PtqQuantizer(config).ptr(); };
}

PtqQuantizerImpl& AsPtq(TensorQuantizerImpl& q) {
  auto* p = dynamic_cast<PtqQuantizerImpl*>(&q);
  if (!p) throw std::logic_error("not a post-training quantizer");
  return *p;
}

}  // namespace bitsearch
