// compare_methods' rows: one per search method, taken from that method's result JSON, so that
// every method's figures come from the same code that reports a single job (result.cc). A row:
//   {"method", "target" ({"relative_bops_percent": X} | {"latency": Y} | null),
//    "accuracy": {"searched", "final"}, "relative_bops_percent": {"searched", "final"},
//    "latency": {"searched", "final", "unit"}, "seconds" (range_init to fine-tune: the search's
//    own cost, the shared pretraining excluded), "layers": [{"name", "weight_bits", "act_bits",
//    "searched_weight_bits", "searched_act_bits", "channels", "channels_kept"}],
//    "search" (the result's "search_report": FracBits' rounding, null for Bayesian Bits)}.
// The job's own method comes first; the result carries them as "comparison".
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_PIPELINE_COMPARISON_H_
#define BITSEARCH_SEARCH_PIPELINE_COMPARISON_H_

#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace bitsearch {

// The row of `method` from its job's `result` (result.h's JSON); `target` as the method ran it.
nlohmann::json ComparisonRow(const std::string& method, const nlohmann::json& result,
                             const nlohmann::json& target);

// `result` with "comparison": its own row first (from `result` itself), then `others`' rows in
// the spec's order of `methods`.
void AddComparison(nlohmann::json& result, const std::vector<std::string>& methods,
                   const std::string& own_method, const nlohmann::json& own_target,
                   const std::map<std::string, nlohmann::json>& others);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_COMPARISON_H_
