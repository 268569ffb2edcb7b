// What the server accepts from a worker before storing it: progress events (kinds, phase names,
// step ranges, sizes) and result JSON (an object whose known fields have the types and ranges
// the CLI reads). A client reading what the server stored must never meet a step past its total,
// a string where a number belongs, or an unbounded phase name (it would also become a Prometheus
// label).
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_SERVER_WORKER_REPORT_RULES_H_
#define BITSEARCH_SERVER_WORKER_REPORT_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/job_records.h"

namespace bitsearch::server {

inline constexpr size_t kMaxPhaseNameBytes = 64;
inline constexpr size_t kMaxEventMessageBytes = 4096;

// INVALID_ARGUMENT naming events[i].field for the first event a worker may not report.
absl::Status ValidateWorkerEvents(const std::vector<JobEvent>& events);

// INVALID_ARGUMENT naming the field (result_json.layers[3].weight_bits) when `result_json` is not
// a JSON object of the result's shape, or is larger than `max_bytes`.
absl::Status ValidateResultJson(const std::string& result_json, int64_t max_bytes);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_WORKER_REPORT_RULES_H_
