// The preprocessing contract, resolved: per channel c, input = (x * scale - mean[c]) / std[c] of
// the data set's raw values x. The same arithmetic (float32 multiply, subtract, divide, in that
// order) runs here and as the first nodes of an exported model, so both see identical inputs.
// Thread-safety: immutable after construction.
#ifndef BITSEARCH_SEARCH_DATA_PREPROCESS_H_
#define BITSEARCH_SEARCH_DATA_PREPROCESS_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/dataset_spec.h"

namespace bitsearch {

struct Preprocessing {
  std::string source = "auto";  // "auto" (training-split statistics) or "spec" (given by the user)
  float scale = 1.0f;
  std::vector<float> mean;      // one per channel
  std::vector<float> std;       // one per channel, > 0

  // Float [N, C, H, W] network input of raw samples (uint8 or float).
  torch::Tensor Apply(const torch::Tensor& raw) const;
  // {"source", "formula", "scale", "mean", "std"} for the result and quant.json.
  nlohmann::json ToJson() const;
};

// Resolves `spec` for data whose training split is `train_raw` ([N, C, H, W]): "auto" measures
// the per-channel mean and (unbiased) deviation of the raw values; explicit values are checked
// against the channel count (one value is used for every channel).
// Errors name dataset.preprocess.mean / .std when their length does not match.
absl::StatusOr<Preprocessing> ResolvePreprocessing(const PreprocessSpec& spec, const torch::Tensor& train_raw);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_PREPROCESS_H_
