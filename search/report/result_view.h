// A job's result JSON (README "Result JSON") read for display: every figure typed and optional,
// so that the table, the chart and the HTML report never throw on a result of the wrong shape
// (a server stores whatever its workers send; a result file may be hand-edited). What cannot be
// read is left empty and named in `problems` ("accuracy.final: expected a number, got string").
//
// Torch-free; the server may link it. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_REPORT_RESULT_VIEW_H_
#define BITSEARCH_SEARCH_REPORT_RESULT_VIEW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

// One conv/linear layer of the final model.
struct LayerView {
  std::string name;
  std::string type;                         // "conv", "linear", ...
  std::optional<int> weight_bits;           // final (after refinement); 0 = pruned
  std::optional<int> act_bits;
  std::optional<int> searched_weight_bits;  // what the search alone chose
  std::optional<int> searched_act_bits;
  std::optional<int64_t> channels;          // output channels of the float model
  std::optional<int64_t> channels_kept;     // output channels left after pruning
  std::optional<int64_t> macs;
  std::optional<int64_t> size_bytes;
  std::optional<double> latency;            // final, in ResultView::latency_unit
};

// A fixed-bit baseline run through the same pipeline (w8a8, w4a4, ...).
struct BaselineView {
  std::string name;
  std::optional<double> accuracy;               // top-1 %
  std::optional<double> relative_bops_percent;
  std::optional<double> latency;
  std::optional<int64_t> model_size_bytes;
};

// One method of compare_methods, run from the same float model (the job's own method first).
struct MethodView {
  std::string method;  // "bayesian_bits", "fracbits"
  std::string target;  // "1.25% relative BOPs", "220000 cycles", "" = none (the method needs none)
  std::optional<double> accuracy_searched, accuracy_final;  // top-1 %
  std::optional<double> relative_bops_searched, relative_bops_final;
  std::optional<double> latency_searched, latency_final;  // in ResultView::latency_unit
  std::optional<double> seconds;  // range initialisation to fine-tune, pretraining excluded
  std::string bits;               // final weight/act bits per layer: "conv1 8/8, conv2 2/4, ..."
};

struct ResultView {
  std::string name;    // the spec's name
  std::string model;   // "lenet5", "onnx net.onnx"
  std::string method;  // "Bayesian Bits (bops prior, mu 0.1) + freebits"
  std::optional<double> accuracy_fp32, accuracy_searched, accuracy_final;  // top-1 %
  std::optional<double> relative_bops_percent, relative_bops_percent_searched;
  std::string latency_unit;     // "cycles", "seconds", "BOPs"; "" without a latency model
  std::string latency_profile;  // hardware.profile the latency figures come from
  std::optional<double> latency_fp32, latency_w8a8, latency_searched, latency_final;
  std::optional<double> reduction_vs_w8a8;  // percent; positive = the final model is faster
  std::optional<int64_t> size_fp32_bytes, size_final_bytes;
  std::vector<LayerView> layers;
  std::vector<BaselineView> baselines;
  std::vector<MethodView> methods;  // "comparison"; empty when the job compared nothing
  std::vector<std::pair<std::string, double>> timings;  // phase -> seconds
  std::string refine_summary;                            // what the refinement did
  nlohmann::json spec;           // the spec as run (an object), else null
  nlohmann::json preprocessing;  // as applied (an object), else null
  nlohmann::json export_report;  // `run --export`'s check of the exported model, else null
  std::vector<std::string> problems;  // fields that could not be read, by dotted path
};

// At most this many layers and baselines are read (the rest is named in `problems`).
inline constexpr size_t kMaxViewEntries = 2000;
// Strings are cut to this many bytes (a 100 KB name would drown a table).
inline constexpr size_t kMaxViewString = 160;

// Parses a result JSON text (as a server stores it or a file holds it). INVALID_ARGUMENT when it
// is not JSON or nests deeper than kMaxJsonDepth (printing such a document would recurse that
// deep); the deep part is never built.
inline constexpr int kMaxJsonDepth = 128;
absl::StatusOr<nlohmann::json> ParseResultJson(std::string_view text);

// Reads a result. INVALID_ARGUMENT only when `result` is not a JSON object at all.
absl::StatusOr<ResultView> ReadResultView(const nlohmann::json& result);

// `value` in a printf format of the caller's own (one conversion of a double), or "-" where the
// result has no such figure.
std::string FormatFigure(std::optional<double> value, const char* format = "%.2f");

// `s` cut to `max_bytes` (at a UTF-8 boundary, "..." appended) with control characters (terminal
// escapes included) replaced by '?': safe to print on a terminal.
std::string PrintableText(const std::string& s, size_t max_bytes = kMaxViewString);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_RESULT_VIEW_H_
