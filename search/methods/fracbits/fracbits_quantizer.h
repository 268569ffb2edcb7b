// The FracBits implementation of the quantizer seam (search/tensor_quantizer.h): a learnable
// real-valued bit width per tensor (or per output channel of a weight) blended between the
// neighbouring grid widths of {2, 4, 8, 16} (blend.h), a learnable clipping bound, and the same
// grid as every other quantizer once fixed, so refinement, fine-tuning and the export treat a
// FracBits network like a Bayesian Bits one. FracBits does not prune: no channel masks.
// Modes: kBypass (float), kCalibrate (range from data), kSearch (the blend), kFixed (one grid
// width; the range stays learnable).
// Thread-safety: a module; one thread.
#ifndef BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_QUANTIZER_H_
#define BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_QUANTIZER_H_

#include <torch/torch.h>

#include <vector>

#include "search/tensor_quantizer.h"

namespace bitsearch::fracbits {

class FracBitsQuantizerImpl : public TensorQuantizerImpl {
 public:
  // config.max_bits (at most 16) is the highest width; widths start just below it (a tenth of
  // the grid interval below), never on a grid width, where their gradient would vanish.
  explicit FracBitsQuantizerImpl(const QuantizerConfig& config);

  torch::Tensor forward(const torch::Tensor& x) override;
  void set_mode(QuantMode mode) override { mode_ = mode; }
  QuantMode mode() const override { return mode_; }

  // As Bayesian Bits: x_max = max(data.max(), 0) (kept positive); signed if data.min() < 0.
  void InitRange(const torch::Tensor& data) override;
  bool range_initialized() override { return initialized_.item<bool>(); }

  // Fixes the width (2, 4, 8, 16 or 32; 0 zeroes the tensor). `keep` is ignored: no pruning.
  void FixBits(int bits, const std::vector<uint8_t>& keep = {}) override;
  // The fixed width, or the searched width rounded to the nearest grid width (channel widths
  // by their mean).
  int DecidedBits() override;
  std::vector<uint8_t> DecidedKeep() override;

  // The widths in use: `bits`, or `channel_bits` once per-channel.
  std::vector<torch::Tensor> MethodParameters() override { return {ActiveBits()}; }
  std::vector<torch::Tensor> RangeParameters() override { return {x_max}; }
  // Keeps the widths inside [min_bits, max_bits] (projected descent), a hair inside its ends
  // where the gradient would vanish.
  void AfterStep() override;
  // P(width >= 4), P(>= 8 | >= 4), ... of the blend (the channels' mean): for progress figures.
  BitDistribution Distribution() override;

  void RefreshHostState() override {
    signed_host_ = signed_.item<bool>();
    min_bits_host_ = static_cast<int>(min_bits_.item<int64_t>());
    per_channel_host_ = per_channel_.item<bool>();
  }
  float clip_max() override { return x_max.item<float>(); }

  // The widths the blend uses, clamped to [min_bits, max_bits] (differentiable).
  torch::Tensor EffectiveBits();
  torch::Tensor ActiveBits() { return per_channel() ? channel_bits : bits; }
  // Weights: one width per output channel from now on, each starting at the tensor's width.
  // Both shapes are always registered, so networks built before and after load each other.
  void set_per_channel(bool on);
  bool per_channel() const { return per_channel_host_; }
  // A lower limit (first conv / last linear kept at 8 bits); moves the widths up to it.
  void set_min_bits(int bits);
  int min_bits() const { return min_bits_host_; }
  int max_bits() const { return config_.max_bits; }

  torch::Tensor x_max;  // parameter, scalar
  torch::Tensor bits;          // parameter, scalar: the tensor's width
  torch::Tensor channel_bits;  // parameter [C] (weights) or [1]: widths per output channel

 private:
  QuantMode mode_ = QuantMode::kBypass;
  torch::Tensor per_channel_;  // buffer, bool scalar
  torch::Tensor min_bits_;     // buffer, int64 scalar
  bool per_channel_host_ = false;  // host copies of per_channel_ and min_bits_, read every step
  int min_bits_host_ = 0;          // (set to the grid's lowest width in the constructor)
  torch::Tensor fixed_bits_;   // buffer, int64 scalar
  torch::Tensor signed_;       // buffer, bool scalar
  torch::Tensor initialized_;  // buffer, bool scalar
};
TORCH_MODULE(FracBitsQuantizer);

// The FracBits quantizer behind `q`, or nullptr when it is another kind.
FracBitsQuantizerImpl* AsFracBits(TensorQuantizerImpl& q);

// The factory a FracBits job's networks are built with.
QuantizerFactory FracBitsQuantizers();

}  // namespace bitsearch::fracbits

#endif  // BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_QUANTIZER_H_
