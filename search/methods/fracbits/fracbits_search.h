// FracBits (Yang and Jin, AAAI 2021) as a search method: every weight and activation tensor gets
// a real-valued bit width blended between grid widths (fracbits_quantizer.h); the widths train
// with the weights and ranges under CE + kappa |cost / target - 1|, the cost being the expected
// relative BOPs or the expected latency on the job's profile (expected_cost.h); at a share of the
// search (search.round_at, 80%) one global offset rounds every width to the grid so that the
// configuration meets the target (fracbits_rounding.h), the widths freeze, the regulariser goes
// off, and weights and ranges keep training to the end. The result is a BitConfig like Bayesian
// Bits', so refinement, fine-tuning, export and the report need nothing new. No pruning.
// Thread-safety: see search/methods/search_method.h.
#ifndef BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_SEARCH_H_
#define BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_SEARCH_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/methods/fracbits/fracbits_rounding.h"
#include "search/methods/search_method.h"

namespace bitsearch::fracbits {

// What the rounding did, for the result (SaveState) and for resuming after it.
struct RoundingReport {
  std::string cost_kind;      // "relative_bops_percent" | "latency"
  double target = 0;          // in that unit
  int64_t step = 0;           // the search step it ran at
  double expected_cost = 0;   // the blended widths' expected cost just before rounding
  RoundingResult rounding;    // offset, cost, tries, feasibility
  std::vector<std::string> tensors;  // "conv1.weight", "conv1.input", in `rounding.bits` order
};

class FracBitsSearch : public SearchMethod {
 public:
  QuantizerFactory quantizers() const override;
  absl::StatusOr<SearchOutcome> Search(SearchContext& context) override;
  nlohmann::json SaveState() const override;
  absl::Status LoadState(const nlohmann::json& state) override;

  // Set after the rounding (also after a resume past it).
  const std::optional<RoundingReport>& report() const { return report_; }

 private:
  std::optional<RoundingReport> report_;
};

std::unique_ptr<SearchMethod> MakeFracBitsSearch();

}  // namespace bitsearch::fracbits

#endif  // BITSEARCH_SEARCH_METHODS_FRACBITS_FRACBITS_SEARCH_H_
