// Sweeps: one spec and several values for some of its fields, expanded into one job spec per
// point (the product of the fields' values). The values come from the spec's "sweep" block
// (`"sweep": {"search.mu": [0.01, 0.1, 1.0]}`) and from `--set FIELD=V1,V2` on the command line.
// Every point is validated as a job spec of its own, and an error names the field and the value
// ("sweep.search.mu[2] = -1: search.mu: must be at least 0, got -1").
//
// Torch-free (the server expands sweeps with it). Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_SWEEP_H_
#define BITSEARCH_SEARCH_SWEEP_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/spec.h"

namespace bitsearch {

// A sweep has at most this many points (a larger product is refused before anything runs).
inline constexpr size_t kMaxSweepPoints = 256;

// One swept field and the values it takes.
struct SweepAxis {
  std::string field;                   // dotted path into the spec: "search.mu"
  std::vector<nlohmann::json> values;  // at least one, no two equal
};

// One job of a sweep.
struct SweepPoint {
  JobSpec spec;              // validated; its name is the sweep's name + this point's values
  nlohmann::json settings;   // this point's value of every axis: {"search.mu": 0.1}
};

struct SweepPlan {
  std::string name;                 // the spec's name
  nlohmann::json base;              // the spec as written, without its sweep block
  std::vector<SweepAxis> axes;      // in order: block fields (sorted), then --set fields
  std::vector<SweepPoint> points;   // the product, the first axis varying slowest
};

// Parses one `--set FIELD=V1,V2,...`. Values are read as JSON where they parse as JSON
// (numbers, true, false, null, "quoted strings"), as plain strings otherwise ("pulp-xpulpv2").
absl::StatusOr<SweepAxis> ParseSetOption(const std::string& option);

// Whether `spec` (a spec JSON object) has a "sweep" block.
bool HasSweepBlock(const nlohmann::json& spec);

// Expands `spec` (a JSON object with or without a "sweep" block) and `overrides` (from --set; an
// override of a field the block sweeps replaces the block's values) into its points. A plan
// without any axis has one point: the spec itself. INVALID_ARGUMENT names the field and value.
absl::StatusOr<SweepPlan> ExpandSweep(const nlohmann::json& spec,
                                      const std::vector<SweepAxis>& overrides = {});
// Same, from spec text (a JSON syntax error reports line and column).
absl::StatusOr<SweepPlan> ExpandSweepText(const std::string& text,
                                          const std::vector<SweepAxis>& overrides = {});

// The plan as one spec JSON: its base with the axes as the "sweep" block (what a client sends
// to the server after merging --set into the block).
nlohmann::json SweepSpecJson(const SweepPlan& plan);

// The axes as a JSON object {field: [values]} (the result's and the server's record of them).
nlohmann::json SweepAxesJson(const std::vector<SweepAxis>& axes);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_SWEEP_H_
