// Bayesian Bits (van Baalen et al., NeurIPS 2020) as a search method: the network's gated residual
// quantizers are trained jointly with the weights and ranges under the spec's prior
// (search.regularizer, weighted by search.mu), gates close for good past the permanent-off
// threshold, and the test-time gate rule gives the searched configuration.
// Thread-safety: see search/methods/search_method.h.
#ifndef BITSEARCH_SEARCH_METHODS_BAYESIAN_BITS_BAYESIAN_BITS_H_
#define BITSEARCH_SEARCH_METHODS_BAYESIAN_BITS_BAYESIAN_BITS_H_

#include <memory>

#include "search/methods/search_method.h"

namespace bitsearch {

class BayesianBitsSearch : public SearchMethod {
 public:
  absl::StatusOr<SearchOutcome> Search(SearchContext& context) override;
};

std::unique_ptr<SearchMethod> MakeBayesianBitsSearch();

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_METHODS_BAYESIAN_BITS_BAYESIAN_BITS_H_
