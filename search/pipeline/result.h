// The result JSON of a job (README.md "Result JSON"), built from its typed JobState: accuracy,
// relative BOPs, latency on the job's profile, model size, per-layer bits, baselines, the
// refinement's report, the export's checks and timings.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_PIPELINE_RESULT_H_
#define BITSEARCH_SEARCH_PIPELINE_RESULT_H_

#include <map>
#include <optional>
#include <string>

#include "latency_models/latency_model.h"
#include "nlohmann/json.hpp"
#include "search/graph.h"
#include "search/pipeline/job_state.h"

namespace bitsearch {

// Latency of the job's configurations on its profile, in the profile's unit. A figure the profile
// cannot price is unset (null in the result).
struct LatencyReport {
  std::string unit;
  std::string profile;
  std::optional<double> fp32;     // every layer at 32 bits
  std::optional<double> w8a8;     // every layer at 8 bits
  std::optional<double> searched;
  std::optional<double> final_total;
  std::optional<double> reduction_vs_w8a8;  // percent
  std::map<std::string, double> layers;     // per layer of the final configuration
  std::map<std::string, std::optional<double>> baselines;
};

// `state` must hold the searched and final configurations.
LatencyReport MeasureLatency(const Graph& folded_graph, const JobState& state,
                             const LatencyModel& model);

nlohmann::json BuildResult(const Graph& folded_graph, const JobState& state,
                           const LatencyReport& latency);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_RESULT_H_
