// The fixed-bit quantizer of post-training quantization, an implementation of the quantizer seam
// (search/tensor_quantizer.h): the grid of search/ptq/grid.h with a clipping bound chosen by range
// setting, per tensor or (weights) per output channel, and optionally a learned rounding
// (AdaRound): each weight goes to floor(W / s) + up rather than to the nearest level. It carries
// that rounding itself, so every consumer of the seam (evaluation, the export's integers) sees
// exactly the rounded weights.
//
// Modes: kBypass passes through; kCalibrate records a min-max range from what passes (as the
// pipeline's range initialisation expects); kSearch and kFixed quantize. Quantizing has a
// straight-through gradient to the input and a clipping gradient to x_max (fine-tuning after
// PTQ); a learned rounding is soft (differentiable in the rounding variables V) while AdaRound
// optimizes it, hard afterwards.
// Thread-safety: a torch module; one thread.
#ifndef BITSEARCH_SEARCH_PTQ_PTQ_QUANTIZER_H_
#define BITSEARCH_SEARCH_PTQ_PTQ_QUANTIZER_H_

#include <torch/torch.h>

#include <vector>

#include "search/tensor_quantizer.h"

namespace bitsearch {

class PtqQuantizerImpl : public TensorQuantizerImpl {
 public:
  explicit PtqQuantizerImpl(const QuantizerConfig& config);

  torch::Tensor forward(const torch::Tensor& x) override;

  void set_mode(QuantMode mode) override { mode_ = mode; }
  QuantMode mode() const override { return mode_; }

  // Min-max range from data (signed when its minimum is negative).
  void InitRange(const torch::Tensor& data) override;
  bool range_initialized() override { return initialized_.item<bool>(); }

  void FixBits(int bits, const std::vector<uint8_t>& keep = {}) override;
  int DecidedBits() override;
  std::vector<uint8_t> DecidedKeep() override;

  std::vector<torch::Tensor> MethodParameters() override { return {}; }
  std::vector<torch::Tensor> RangeParameters() override { return {x_max}; }

  void RefreshHostState() override { signed_host_ = signed_.item<bool>(); }
  // The clipping bound; per channel, the largest channel's.
  float clip_max() override { return x_max.max().item<float>(); }

  // Sets the range: a scalar, or one bound per output channel ([channels], weights only).
  void SetRange(const torch::Tensor& x_max_value, bool is_signed);
  bool per_channel() { return x_max.dim() == 1; }
  // The grid's step at the fixed bits (scalar or [C]).
  torch::Tensor Step();

  // Learned rounding. Soft: forward uses h(V) of `v` (a tensor of the weight's shape that the
  // caller optimizes). Hard: a 0/1 tensor `up` of the weight's shape. ClearRounding: nearest.
  void SetSoftRounding(const torch::Tensor& v);
  void SetHardRounding(const torch::Tensor& up);
  void ClearRounding();
  bool has_rounding() { return rounding_.numel() > 0 || soft_.defined(); }
  torch::Tensor hard_rounding() { return rounding_; }

  torch::Tensor x_max;  // parameter: scalar, or [C] per channel

 private:
  torch::Tensor Quantize(const torch::Tensor& x);

  QuantMode mode_ = QuantMode::kBypass;
  torch::Tensor signed_;       // buffer, bool scalar
  torch::Tensor initialized_;  // buffer, bool scalar
  torch::Tensor bits_;         // buffer, int64 scalar
  torch::Tensor keep_;         // buffer [C] (weights) or [1]
  torch::Tensor rounding_;     // buffer: hard rounding 0/1 of the weight's shape, or [0]
  torch::Tensor soft_;         // rounding variables V while AdaRound optimizes (not saved)
};
TORCH_MODULE(PtqQuantizer);

// The factory a Network takes (NetworkOptions::quantizers) to carry PTQ quantizers.
QuantizerFactory PtqQuantizers();

// The PTQ quantizer behind `q`; throws std::logic_error when `q` is another kind.
PtqQuantizerImpl& AsPtq(TensorQuantizerImpl& q);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PTQ_PTQ_QUANTIZER_H_
