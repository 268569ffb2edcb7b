#include "search/methods/uniform/uniform_method.h"

#include <algorithm>

#include "search/bb_kernel.h"
#include "search/job_checkpoint.h"

namespace bitsearch {

FixedGridQuantizerImpl::FixedGridQuantizerImpl(const QuantizerConfig& config)
    : TensorQuantizerImpl(config) {
  if (!config_.is_weight) config_.prunable = false;
  x_max = Parameter("x_max", torch::ones({}));
  bits_ = Buffer("bits", torch::full({}, config_.max_bits, torch::kLong));
  keep_ = Buffer("keep", torch::ones({config_.prunable ? config_.channels : 1}));
  signed_ = Buffer("signed", torch::zeros({}, torch::kBool));
  initialized_ = Buffer("initialized", torch::zeros({}, torch::kBool));
}

void FixedGridQuantizerImpl::InitRange(const torch::Tensor& data) {
  torch::NoGradGuard no_grad;
  auto d = data.detach().to(torch::kFloat);
  const float mn = d.min().item<float>();
  const float mx = std::max({d.max().item<float>(), -mn, 1e-3f});  // symmetric min-max
  x_max.fill_(mx);
  SetSigned(signed_, mn < 0.0f);
  initialized_.fill_(true);
}

void FixedGridQuantizerImpl::FixBits(int bits, const std::vector<uint8_t>& keep) {
  torch::NoGradGuard no_grad;
  bits_.fill_(bits);
  keep_.fill_(1.0f);
  if (!keep.empty() && config_.prunable) {
    for (size_t c = 0; c < keep.size(); ++c) keep_[c] = keep[c] ? 1.0f : 0.0f;
  }
  mode_ = QuantMode::kFixed;
}

int FixedGridQuantizerImpl::DecidedBits() {
  if (keep_.sum().item<float>() == 0.0f) return 0;
  return static_cast<int>(bits_.item<int64_t>());
}

std::vector<uint8_t> FixedGridQuantizerImpl::DecidedKeep() {
  auto k = keep_.to(torch::kCPU).contiguous();  // read on the host
  std::vector<uint8_t> out(k.numel());
  for (size_t c = 0; c < out.size(); ++c) out[c] = k.data_ptr<float>()[c] > 0.5f;
  if (!config_.prunable && config_.is_weight) out.assign(config_.channels, out[0]);
  return out;
}

torch::Tensor FixedGridQuantizerImpl::forward(const torch::Tensor& x) {
  if (mode_ == QuantMode::kBypass) return x;
  if (mode_ == QuantMode::kCalibrate) {
    if (!range_initialized()) InitRange(x);
    return x;
  }
  // The seam's grid at `bits`: the Bayesian Bits kernel with its gates fixed on up to `bits`.
  const int64_t bits = bits_.item<int64_t>();
  torch::Tensor zs = torch::zeros({4});
  for (int k = 0; k < 4; ++k) {
    if (bits >= kBBBits[k + 1]) zs[k] = 1.0f;
  }
  torch::Tensor z2 = bits == 0 ? torch::zeros_like(keep_) : keep_;
  return BBQuantize(x, x_max.clamp_min(1e-6), z2, zs.to(x.device()), is_signed());
}

QuantizerFactory UniformSearch::quantizers() const {
  return [](const QuantizerConfig& config) -> TensorQuantizer {
    return std::make_shared<FixedGridQuantizerImpl>(config);
  };
}

absl::StatusOr<SearchOutcome> UniformSearch::Search(SearchContext& ctx) {
  if (ctx.observer) ctx.observer->OnPhaseStart(ctx.phase, 0);
  Network net = ctx.new_network();
  LoadModule(*net, ctx.start_state);
  const int bits = ctx.spec->search.max_bits;
  net->SetFixed(UniformBits(ctx.graph->LayerNames(), bits, bits));
  BitConfig decided = net->Decide();  // the network input reads back as 8-bit
  return SearchOutcome{std::move(decided), net, nullptr};
}

std::unique_ptr<SearchMethod> MakeUniformSearch() { return std::make_unique<UniformSearch>(); }

}  // namespace bitsearch
