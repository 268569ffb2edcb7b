// The result JSON of a job (the README's "Reading a result"), built from the job's metadata: accuracy,
// relative BOPs, latency, model size, per-layer bits, baselines and timings.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_RESULT_H_
#define BITSEARCH_SEARCH_RESULT_H_

#include "nlohmann/json.hpp"
#include "search/graph.h"

namespace bitsearch {

// `meta` holds accuracy_fp32 / _searched / _final, config_searched / config_final, baselines,
// timings, and optionally latency figures (meta["latency"]) filled by the refinement.
nlohmann::json BuildResult(const Graph& folded_graph, const nlohmann::json& meta);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_RESULT_H_
