// The quantizer seam: what a Network needs from the quantizer of one weight or activation tensor,
// whatever the method behind it (Bayesian Bits' gated residuals, a FracBits blend of two grids,
// AdaRound's learned rounding, a plain fixed-bit quantizer).
//
// Every quantizer works on the uniform grid of its tensor: a learnable clipping bound x_max, range
// [-x_max, x_max] (signed) or [0, x_max] (unsigned), and at b bits the step (range) / (2^b - 1),
// computed in float as bb_kernel.h does (range / 3 / 5 / 17 / 257). Once fixed to a bit width
// (FixBits) its forward output lies on that grid, which is what the export
// (search/onnx/export_plan.h) writes as integers; BBQuantize with fixed gates computes exactly it.
//
// Thread-safety: a torch module; drive it from one thread.
#ifndef BITSEARCH_SEARCH_TENSOR_QUANTIZER_H_
#define BITSEARCH_SEARCH_TENSOR_QUANTIZER_H_

#include <torch/torch.h>

#include <string>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace bitsearch {

// kBypass: float (pretraining). kCalibrate: records the range from the data passing through.
// kSearch: the method's own training behaviour. kFixed: a chosen bit width and channel mask.
enum class QuantMode { kBypass, kCalibrate, kSearch, kFixed };

// What one quantizer is built for.
struct QuantizerConfig {
  bool is_weight = false;
  int64_t channels = 1;     // output channels (weights); 1 for activations
  bool prunable = false;    // may drop output channels (weights only, never the last layer)
  int max_bits = 8;         // the highest bit width the search may choose
  double gate_init = 3.0;   // Bayesian Bits: initial log_alpha of the usable gates
  torch::Device device = torch::kCPU;  // where its parameters and buffers are made
};

// A differentiable distribution over the bit widths {2, 4, 8, 16, 32} of a tensor, for priors
// (search/prior.h). Expressed as step-up probabilities so priors need no knowledge of gates.
struct BitDistribution {
  // [4]: P(bits >= b_k | bits >= b_(k-1)) for b_k = 4, 8, 16, 32 (0 where b_k is out of reach).
  torch::Tensor step_up;
  // [C]: P(output channel c is kept); undefined when the tensor cannot be pruned.
  torch::Tensor keep;
};

class TensorQuantizerImpl : public torch::nn::Module {
 public:
  ~TensorQuantizerImpl() override = default;

  virtual torch::Tensor forward(const torch::Tensor& x) = 0;

  virtual void set_mode(QuantMode mode) = 0;
  virtual QuantMode mode() const = 0;
  // Noise source for stochastic training (gate samples); must outlive training. Default: unused.
  virtual void set_generator(at::Generator generator) { (void)generator; }

  // Range initialisation from data (weights: their values; activations: one calibration batch).
  virtual void InitRange(const torch::Tensor& data) = 0;
  virtual bool range_initialized() = 0;

  // Fixes the quantizer: bits in {0, 2, 4, 8, 16, 32} (0 = pruned entirely); `keep` (size =
  // channels, empty = all) masks pruned output channels. Leaves the mode at kFixed.
  virtual void FixBits(int bits, const std::vector<uint8_t>& keep = {}) = 0;
  // The test-time decision: bits (0 when every channel is pruned) and the kept output channels
  // (all 1 when not prunable; size `channels` for weights, 1 for activations).
  virtual int DecidedBits() = 0;
  virtual std::vector<uint8_t> DecidedKeep() = 0;

  // Parameter groups: the method's own parameters (gates, real-valued bit widths, rounding
  // variables) and the clipping bounds. Weights belong to the network, not the quantizer.
  virtual std::vector<torch::Tensor> MethodParameters() = 0;
  virtual std::vector<torch::Tensor> RangeParameters() = 0;
  // Called after every optimizer step of the search (Bayesian Bits' permanent-off rule).
  virtual void AfterStep() {}

  // Bit-width distribution for priors. Default: a point mass at the decided bits, not
  // differentiable (methods whose cost is not a prior over their parameters need no more).
  virtual BitDistribution Distribution();

  // The grid (see above): signedness and the clipping bound.
  bool is_signed() const { return signed_host_; }
  virtual float clip_max() = 0;

  // Re-reads what the quantizer keeps on the host from its buffers; after a state load.
  virtual void RefreshHostState() {}

  const QuantizerConfig& config() const { return config_; }

 protected:
  explicit TensorQuantizerImpl(const QuantizerConfig& config) : config_(config) {}
  // register_parameter / register_buffer of a value made on the CPU, on config().device: made
  // there, not moved afterwards (Module::to cannot move a CPU tensor to every device).
  torch::Tensor Parameter(const std::string& name, const torch::Tensor& value) {
    return register_parameter(name, value.to(config_.device));
  }
  torch::Tensor Buffer(const std::string& name, const torch::Tensor& value) {
    return register_buffer(name, value.to(config_.device));
  }
  // Writes the `signed` buffer (the state's truth) and its host copy, which every forward reads:
  // a step then never waits on a device for a flag.
  void SetSigned(torch::Tensor& buffer, bool is_signed) {
    buffer.fill_(is_signed);
    signed_host_ = is_signed;
  }
  QuantizerConfig config_;
  bool signed_host_ = false;
};

// RefreshHostState of every quantizer in `root` (LoadModule and LoadMatchingState call it).
void RefreshQuantizerHostState(torch::nn::Module& root);

using TensorQuantizer = std::shared_ptr<TensorQuantizerImpl>;
// Builds the quantizer of one tensor; a search method hands one to the Network (NetworkOptions).
using QuantizerFactory = std::function<TensorQuantizer(const QuantizerConfig& config)>;

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_TENSOR_QUANTIZER_H_
