// A sweep's result: one entry per point (its settings, state, top-1, relative BOPs, latency and
// whether it is Pareto-optimal), with the baselines and float models of its jobs on the same
// axes, built from the points' own results; and a tolerant typed view of that JSON for the table,
// the chart, the HTML report and the server's pages (README "A sweep's result").
//
// Pareto marks: `pareto_bops` among every point, baseline and float model with a relative BOPs
// figure; `pareto_latency` among those on the same latency profile (cycles on one device say
// nothing about another); `pareto` when either holds.
//
// Torch-free (the server builds sweep results with it). Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_REPORT_SWEEP_RESULT_H_
#define BITSEARCH_SEARCH_REPORT_SWEEP_RESULT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

// One point of a sweep as the runner (embedded CLI or server) knows it.
struct SweepPointRecord {
  std::string name;          // the point's job name
  std::string job_id;        // "" when run embedded
  nlohmann::json settings;   // this point's value of each swept field: {"search.mu": 0.1}
  std::string state;         // QUEUED | RUNNING | SUCCEEDED | FAILED | CANCELLED
  std::string error;         // why it failed
  nlohmann::json result;     // the job's result JSON; null while it has none
};

struct SweepRecord {
  std::string id;            // "" when run embedded
  std::string name;
  std::string state;         // the sweep's own state (SweepStateOf)
  nlohmann::json axes;       // {field: [values]}
  std::vector<SweepPointRecord> points;
  int pretrain_runs = 0;     // float models trained for the sweep (the rest were shared)
  std::vector<std::string> pretrain_jobs;  // the service's pretraining jobs ("" embedded)
};

// The state of a sweep from its points' (pretraining jobs count as points here): QUEUED while
// none started, RUNNING while any is not finished, then CANCELLED if `cancelled`, SUCCEEDED when
// every point succeeded, FAILED otherwise.
std::string SweepStateOf(const std::vector<std::string>& point_states, bool cancelled);

nlohmann::json BuildSweepResult(const SweepRecord& sweep);

// ---- reading a sweep result back ----------------------------------------------------------

struct SweepPointView {
  std::string name, job_id, state, error;
  std::string label;          // the settings, short: "mu 0.1, bitserial"
  nlohmann::json settings;    // an object, else null
  std::optional<double> accuracy;               // final top-1 %
  std::optional<double> accuracy_fp32;
  std::optional<double> relative_bops_percent;  // final
  std::optional<double> latency;                // final, on `profile`
  std::string latency_unit, profile, method;
  std::optional<int64_t> size_bytes;
  bool pareto = false, pareto_latency = false, pareto_bops = false;
};

// A fixed-bit baseline or a float model of one of the sweep's jobs.
struct SweepReferenceView {
  std::string name;   // "w8a8", "fp32"
  std::string label;  // name, or "name (point)" where several points ran it
  std::string from;   // the point whose job ran it
  std::string profile, latency_unit;
  std::optional<double> accuracy, relative_bops_percent, latency;
  bool pareto_latency = false, pareto_bops = false;
};

struct SweepView {
  std::string id, name, state;
  nlohmann::json axes;  // an object, else null
  std::vector<SweepPointView> points;
  std::vector<SweepReferenceView> baselines;
  std::vector<SweepReferenceView> fp32;
  int pretrain_runs = 0;
  std::vector<std::string> profiles;   // the latency profiles of the points, in order of appearance
  std::vector<std::string> problems;   // fields that could not be read, by dotted path
};

// INVALID_ARGUMENT only when `result` is not a JSON object.
absl::StatusOr<SweepView> ReadSweepView(const nlohmann::json& result);

// Whether a result JSON is a sweep's (it has "points" and "sweep") rather than one job's.
bool IsSweepResult(const nlohmann::json& result);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_SWEEP_RESULT_H_
