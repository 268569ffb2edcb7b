// Search method "none": no search. The float model is quantized after training at the job's
// "ptq" block (every layer at its weight and activation bits; ranges, cross-layer equalization,
// bias correction or AdaRound as it says) and goes on to the export like a searched one: a
// PTQ-only job, a float model in and a quantized model out in seconds to minutes.
// Thread-safety: see search/methods/search_method.h.
#ifndef BITSEARCH_SEARCH_METHODS_POST_TRAINING_POST_TRAINING_METHOD_H_
#define BITSEARCH_SEARCH_METHODS_POST_TRAINING_POST_TRAINING_METHOD_H_

#include <memory>

#include "search/methods/search_method.h"

namespace bitsearch {

class PostTrainingOnly : public SearchMethod {
 public:
  // Post-training quantizers (search/ptq/ptq_quantizer.h): they carry AdaRound's rounding into
  // evaluation and export.
  QuantizerFactory quantizers() const override;
  // Deterministic and short: a resumed job quantizes again rather than restoring a checkpoint.
  absl::StatusOr<SearchOutcome> Search(SearchContext& context) override;
};

std::unique_ptr<SearchMethod> MakePostTrainingOnly();

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_METHODS_POST_TRAINING_POST_TRAINING_METHOD_H_
