// Hardware profiles as JSON: the form built-in profiles ship in and imported tables are stored in.
//
//   {"name": "pulp-xpulpv2", "kind": "analytic" | "lut" | "bops", "unit": "cycles",
//    "description": "...", "sources": ["..."], "assumptions": ["..."],
//    "analytic": {"bits": [2,4,8,16,32], "macs_per_cycle": [[...per weight bits...] per act bits],
//                 "per_layer_overhead": 0, "bytes_per_cycle": 0, "overlap_memory": false,
//                 "depthwise_efficiency": 1.0},                        (kind "analytic")
//    "table": {"allow_fallback": false, "csv": "<measured CSV>"}}      (kind "lut")
// Errors name the offending field by its dotted path ("analytic.macs_per_cycle[2][1]"), or the
// line and column inside the embedded CSV. Thread-safety: free functions, no shared state.
#ifndef BITSEARCH_LATENCY_MODELS_PROFILE_JSON_H_
#define BITSEARCH_LATENCY_MODELS_PROFILE_JSON_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "latency_models/latency_model.h"
#include "latency_models/lookup_table_model.h"

namespace bitsearch {

struct ProfileInfo {
  std::string name;
  std::string kind;         // "analytic" | "lut" | "bops"
  std::string unit;         // "cycles" | "seconds" | "bops"
  std::string description;
  std::vector<std::string> sources;
  std::vector<std::string> assumptions;
  bool builtin = false;     // shipped inside the binary
  std::string path;         // file it was read from; empty for built-ins
};

struct ParsedProfile {
  ProfileInfo info;
  std::unique_ptr<LatencyModel> model;
};

// Lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64
// characters: profile names become file names, so nothing that could escape the folder.
absl::Status ValidateProfileName(const std::string& name);

// Parses and validates a profile and builds its model.
absl::StatusOr<ParsedProfile> ParseProfileJson(const std::string& json_text);

// The JSON stored for an imported measured table.
std::string LutProfileJson(const std::string& name, const std::string& unit,
                           const std::string& description, const std::vector<LatencyRow>& rows,
                           bool allow_fallback);

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_PROFILE_JSON_H_
