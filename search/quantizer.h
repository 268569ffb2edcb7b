// One Bayesian Bits quantizer: a learnable range, gates z4..z32 (scalar per tensor) and, on
// prunable weights, one 0-bit gate z2 per output channel (Bayesian Bits, arXiv:2005.07093).
//
// The Bayesian Bits implementation of the quantizer seam (search/tensor_quantizer.h) and the
// default quantizer of a Network. Modes: kBypass (float), kCalibrate (records the range from the
// data passing through), kSearch (stochastic gates in training, the 0.34 rule in eval), kFixed
// (gates fixed to a chosen bit width and channel mask; the range stays learnable).
// Thread-safety: a module; one thread.
#ifndef BITSEARCH_SEARCH_QUANTIZER_H_
#define BITSEARCH_SEARCH_QUANTIZER_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "search/tensor_quantizer.h"

namespace bitsearch {

class BBQuantizerImpl : public TensorQuantizerImpl {
 public:
  using Mode = QuantMode;

  // config.prunable adds the per-channel z2 gates; gates above config.max_bits start and stay off.
  explicit BBQuantizerImpl(const QuantizerConfig& config);

  torch::Tensor forward(const torch::Tensor& x) override;

  void set_mode(Mode mode) override { mode_ = mode; }
  Mode mode() const override { return mode_; }
  void set_generator(at::Generator generator) override { generator_ = std::move(generator); }

  // Range from data: x_max = max(data.max(), 0) (kept positive); signed if data.min() < 0.
  void InitRange(const torch::Tensor& data) override;
  bool range_initialized() override { return initialized_.item<bool>(); }

  // Fixes the gates: bits in {0,2,4,8,16,32}; keep (size = channels) masks pruned channels.
  void FixBits(int bits, const std::vector<uint8_t>& keep = {}) override;
  // Permanent-off rule: a gate with log_alpha <= -2 goes off with every gate above it.
  void ApplyPermanentOff();
  void AfterStep() override { ApplyPermanentOff(); }

  // Test-time decisions.
  int DecidedBits() override;                   // 0 when every channel is pruned
  std::vector<uint8_t> DecidedKeep() override;  // per output channel, all 1 if not prunable

  // Gates (log_alpha, and log_alpha_z2 when prunable); the clipping bound x_max.
  std::vector<torch::Tensor> MethodParameters() override;
  std::vector<torch::Tensor> RangeParameters() override { return {x_max}; }

  // Activity probabilities (differentiable): q for z4..z32 ([4], 0 for gates that are off) and
  // q2 per channel ([C]) or an undefined tensor when not prunable.
  torch::Tensor GateProbs();
  torch::Tensor ChannelProbs();
  // The gates' activity probabilities are the step-up probabilities of the seam.
  BitDistribution Distribution() override { return {GateProbs(), ChannelProbs()}; }

  void RefreshHostState() override { signed_host_ = signed_.item<bool>(); }
  float clip_max() override { return x_max.item<float>(); }

  torch::Tensor x_max;          // parameter, scalar
  torch::Tensor log_alpha;      // parameter [4]: z4, z8, z16, z32
  torch::Tensor log_alpha_z2;   // parameter [C] (prunable only)

 private:
  torch::Tensor CurrentGates(torch::Tensor* z2);

  Mode mode_ = Mode::kBypass;
  at::Generator generator_;
  torch::Tensor alive_;        // buffer [4]: 1 while a gate may still be used
  torch::Tensor alive_z2_;     // buffer [C]
  torch::Tensor signed_;       // buffer, bool scalar
  torch::Tensor initialized_;  // buffer, bool scalar
  torch::Tensor fixed_zs_;     // buffer [4]
  torch::Tensor fixed_z2_;     // buffer [C] or [1]
};
TORCH_MODULE(BBQuantizer);

// The Bayesian Bits quantizer behind `q`; throws std::logic_error when `q` is another kind.
BBQuantizerImpl& AsBayesianBits(TensorQuantizerImpl& q);

// Bits implied by a gate vector (z4..z32 as 0/1): 2 * 2^(leading ones).
int BitsFromGates(const float* z);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_QUANTIZER_H_
