// Fixed-bit quantization-aware training: every weight at `weight_bits`, every activation at
// `act_bits` (the network input stays 8-bit), no pruning, fresh ranges from one training batch on
// the float weights, then the pipeline's fine-tune. The same training as the searched model gets,
// so the comparison isolates the bit widths.
// Thread-safety: see baseline.h.
#ifndef BITSEARCH_SEARCH_BASELINES_FIXED_BITS_QAT_H_
#define BITSEARCH_SEARCH_BASELINES_FIXED_BITS_QAT_H_

#include <memory>

#include "search/baselines/baseline.h"

namespace bitsearch {

class FixedBitsQat : public Baseline {
 public:
  FixedBitsQat(int weight_bits, int act_bits) : weight_bits_(weight_bits), act_bits_(act_bits) {}
  absl::StatusOr<BaselineOutcome> Run(BaselineContext& context) override;

 private:
  int weight_bits_;
  int act_bits_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_BASELINES_FIXED_BITS_QAT_H_
