// A test-only search method, "uniform": every weight and activation at the spec's
// search.max_bits (the network input at 8), nothing pruned, nothing trained. Its networks carry a
// quantizer of its own (a plain fixed-grid quantizer), so a job with it exercises both seams, the
// search method and the quantizer, through the whole pipeline and the export. It lives in a
// *_testing library, and only its test binary registers it (one RegisterSearchMethod line), so
// the shipped binaries never offer it.
// Thread-safety: see search/methods/search_method.h.
#ifndef BITSEARCH_SEARCH_METHODS_UNIFORM_UNIFORM_METHOD_H_
#define BITSEARCH_SEARCH_METHODS_UNIFORM_UNIFORM_METHOD_H_

#include <torch/torch.h>

#include <memory>

#include "absl/status/status.h"
#include "search/methods/search_method.h"
#include "search/tensor_quantizer.h"

namespace bitsearch {

// A quantizer on the seam's grid at one bit width (config.max_bits until FixBits says otherwise),
// with a learnable clipping bound and a channel mask; no parameters of its own to search.
class FixedGridQuantizerImpl : public TensorQuantizerImpl {
 public:
  explicit FixedGridQuantizerImpl(const QuantizerConfig& config);

  torch::Tensor forward(const torch::Tensor& x) override;
  void set_mode(QuantMode mode) override { mode_ = mode; }
  QuantMode mode() const override { return mode_; }
  void InitRange(const torch::Tensor& data) override;
  bool range_initialized() override { return initialized_.item<bool>(); }
  void FixBits(int bits, const std::vector<uint8_t>& keep = {}) override;
  int DecidedBits() override;
  std::vector<uint8_t> DecidedKeep() override;
  std::vector<torch::Tensor> MethodParameters() override { return {}; }
  std::vector<torch::Tensor> RangeParameters() override { return {x_max}; }
  void RefreshHostState() override { signed_host_ = signed_.item<bool>(); }
  float clip_max() override { return x_max.item<float>(); }

  torch::Tensor x_max;  // parameter, scalar

 private:
  QuantMode mode_ = QuantMode::kBypass;
  torch::Tensor bits_;         // buffer, int64 scalar
  torch::Tensor keep_;         // buffer [C] (weights) or [1]: 1 = kept
  torch::Tensor signed_;       // buffer, bool scalar
  torch::Tensor initialized_;  // buffer, bool scalar
};

class UniformSearch : public SearchMethod {
 public:
  QuantizerFactory quantizers() const override;
  absl::StatusOr<SearchOutcome> Search(SearchContext& context) override;
};

std::unique_ptr<SearchMethod> MakeUniformSearch();

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_METHODS_UNIFORM_UNIFORM_METHOD_H_
