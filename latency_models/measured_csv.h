// The measured-table CSV of the Free Bits device flow: a header naming the layer-signature
// columns, `act_bits`, `weight_bits` and `latency`, then one row per signature and bit pair.
// `profiles export-spec` writes it with an empty latency column, the user measures
// on the device, and `profiles import` reads it back through ParseMeasuredCsv.
//
// Errors name the line (1-based, the header is line 1) and column (1-based, with its name), so a
// user can fix a hand-edited table. Thread-safety: free functions without shared state.
#ifndef BITSEARCH_LATENCY_MODELS_MEASURED_CSV_H_
#define BITSEARCH_LATENCY_MODELS_MEASURED_CSV_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/layer_signature.h"
#include "latency_models/lookup_table_model.h"

namespace bitsearch {

// Column names in the order ExportSpecCsv writes them.
const std::vector<std::string>& MeasuredCsvColumns();

// {2,4,8} x {2,4,8}, the candidate grid of the Free Bits paper, as (act_bits, weight_bits).
std::vector<std::pair<int, int>> DefaultBitPairs();

// Parses a measured table. `source` (a file name) prefixes error messages. Header columns may come
// in any order; a missing or unknown column, a malformed number, an unknown layer type, an
// impossible shape, an empty/negative/non-numeric latency or a duplicate (signature, bits) row is
// an InvalidArgument error naming line and column.
absl::StatusOr<std::vector<LatencyRow>> ParseMeasuredCsv(const std::string& text,
                                                         const std::string& source);

// The spec to measure: unique signatures (sorted, duplicates merged) x bit pairs, with an empty
// latency column.
std::string ExportSpecCsv(const std::vector<LayerSignature>& signatures,
                          const std::vector<std::pair<int, int>>& bit_pairs);

// Rows with their latencies, in the same format (what `profiles show` prints for a table).
std::string RowsToCsv(const std::vector<LatencyRow>& rows);

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_MEASURED_CSV_H_
