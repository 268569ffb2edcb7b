// One Bayesian Bits quantizer: a learnable range, gates z4..z32 (scalar per tensor) and, on
// prunable weights, one 0-bit gate z2 per output channel (Bayesian Bits, arXiv:2005.07093).
//
// Modes: kBypass (float), kCalibrate (records the range from the data passing through), kSearch
// (stochastic gates in training, the 0.34 rule in eval), kFixed (gates fixed to a chosen bit
// width and channel mask; the range stays learnable). Thread-safety: a module; one thread.
#ifndef BITSEARCH_SEARCH_QUANTIZER_H_
#define BITSEARCH_SEARCH_QUANTIZER_H_

#include <torch/torch.h>

#include <string>
#include <vector>

namespace bitsearch {

struct QuantizerConfig {
  bool is_weight = false;
  int64_t channels = 1;     // output channels (weights); 1 for activations
  bool prunable = false;    // per-channel z2 gates (weights only, never the last layer)
  int max_bits = 8;         // gates above this start and stay off
  double gate_init = 3.0;   // initial log_alpha of the usable gates
};

class BBQuantizerImpl : public torch::nn::Module {
 public:
  enum class Mode { kBypass, kCalibrate, kSearch, kFixed };

  explicit BBQuantizerImpl(const QuantizerConfig& config);

  torch::Tensor forward(const torch::Tensor& x);

  void set_mode(Mode mode) { mode_ = mode; }
  Mode mode() const { return mode_; }
  // Generator for gate noise; must outlive the quantizer's use in training.
  void set_generator(at::Generator generator) { generator_ = std::move(generator); }

  // Range from data: x_max = max(data.max(), 0) (kept positive); signed if data.min() < 0.
  void InitRange(const torch::Tensor& data);
  bool range_initialized() const { return initialized_.item<bool>(); }

  // Fixes the gates: bits in {0,2,4,8,16,32}; keep (size = channels) masks pruned channels.
  void FixBits(int bits, const std::vector<uint8_t>& keep = {});
  // Permanent-off rule: a gate with log_alpha <= -2 goes off with every gate above it.
  void ApplyPermanentOff();

  // Test-time decisions.
  int DecidedBits();                       // 0 when every channel is pruned
  std::vector<uint8_t> DecidedKeep();      // per output channel, all 1 if not prunable

  // Activity probabilities (differentiable): q for z4..z32 ([4], 0 for gates that are off) and
  // q2 per channel ([C]) or an undefined tensor when not prunable.
  torch::Tensor GateProbs();
  torch::Tensor ChannelProbs();

  const QuantizerConfig& config() const { return config_; }
  bool is_signed() { return signed_.item<bool>(); }

  torch::Tensor x_max;          // parameter, scalar
  torch::Tensor log_alpha;      // parameter [4]: z4, z8, z16, z32
  torch::Tensor log_alpha_z2;   // parameter [C] (prunable only)

 private:
  torch::Tensor CurrentGates(torch::Tensor* z2);

  QuantizerConfig config_;
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

// Bits implied by a gate vector (z4..z32 as 0/1): 2 * 2^(leading ones).
int BitsFromGates(const float* z);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_QUANTIZER_H_
