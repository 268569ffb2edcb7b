// The "baselines" of a job spec: each entry a catalog name ("w8a8", "ptq-w4a8-adaround") or an
// object that sets the bits and the post-training steps itself:
//   {"weight_bits": 4, "act_bits": 8, "range": "min-max", "cle": true,
//    "bias_correction": "empirical"}
// An object without "name" is named after its fields ("ptq-w4a8-minmax-cle-bc"), so a table of
// baselines reads without the spec beside it.
//
// Torch-free (the server validates specs without LibTorch); search/ptq/ptq_options.h turns a
// PtqSpec into the options the post-training code runs with. Thread-safety: plain values.
#ifndef BITSEARCH_SEARCH_BASELINE_SPEC_H_
#define BITSEARCH_SEARCH_BASELINE_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

// Post-training quantization settings (the white paper's steps), as a spec writes them.
struct PtqSpec {
  std::string weight_range = "mse";     // "min-max" | "mse"
  std::string act_range = "mse";        // "min-max" | "mse" | "percentile"
  double percentile = 99.99;            // activations, with act_range "percentile"
  bool per_channel = false;             // weight ranges per output channel
  bool cle = false;                     // cross-layer equalization + high-bias absorption
  std::string bias_correction = "none";  // "none" | "empirical" | "analytic"
  bool adaround = false;                // learned rounding of the weights
  int adaround_iterations = 10000;      // per layer
  int64_t calibration_samples = 1024;   // unlabelled samples of the training split

};

struct BaselineSpec {
  std::string name;          // how results, tables and charts call it; unique within a job
  bool from_catalog = true;  // a catalog name: the registry builds it; else the fields below
  std::string method = "ptq";  // "ptq" (no training) | "qat" (trained like the fine-tune)
  int weight_bits = 8;
  int act_bits = 8;
  PtqSpec ptq;               // method "ptq" only
};

// The job's "ptq" block: the bits and steps with which search.method "none" quantizes the float
// model after training (a PTQ-only job: a float model in, a quantized model out).
struct PtqJobSpec {
  int weight_bits = 8;
  int act_bits = 8;
  PtqSpec steps;
};

// Parses the "ptq" block at `path` (its fields: weight_bits, act_bits and PtqSpec's, as in a
// baseline object). Errors name the field.
absl::StatusOr<PtqJobSpec> ParsePtqBlock(const nlohmann::json& v, const std::string& path = "ptq");
nlohmann::json PtqBlockToJson(const PtqJobSpec& p);

// Parses the "baselines" array at `path`. Errors name the entry and field
// ("baselines[2].bias_correction: ..."): unknown catalog names, unknown fields, bits outside
// {2, 4, 8, 16, 32}, post-training fields on a "qat" entry, AdaRound with bias correction,
// percentile weight ranges, names used twice.
absl::StatusOr<std::vector<BaselineSpec>> ParseBaselines(const nlohmann::json& v,
                                                         const std::string& path = "baselines");
// Catalog entries as their names, objects with every field (parsing it gives the same list).
nlohmann::json BaselinesToJson(const std::vector<BaselineSpec>& baselines);

// The name an object without "name" gets: method, bits, then what differs from the defaults.
std::string DefaultBaselineName(const BaselineSpec& b);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_BASELINE_SPEC_H_
