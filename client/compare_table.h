// `bitsearch compare`: several results side by side (job results from a server or result files),
// as one table or JSON: top-1 accuracy, relative BOPs, latency, size, method, bits per layer, and
// which results are Pareto-optimal among those compared.
// Thread-safety: pure functions.
#ifndef BITSEARCH_CLIENT_COMPARE_TABLE_H_
#define BITSEARCH_CLIENT_COMPARE_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "search/report/result_view.h"

namespace bitsearch {

struct CompareEntry {
  std::string source;  // what the user named: a job id or a file path
  ResultView result;
};

// Pareto marks among the compared results. Latency is compared only when every result has a
// final latency in the same unit on the same profile (otherwise std::nullopt: cycles on one
// device say nothing about another); relative BOPs always where a result has them.
struct CompareFronts {
  std::vector<std::optional<bool>> latency;
  std::vector<std::optional<bool>> bops;
};
CompareFronts ParetoMarks(const std::vector<CompareEntry>& entries);

// "w/a" per layer in order: "8/8 4/8 0/8" (0 = pruned, "?" where a figure is missing).
std::string BitsPerLayer(const ResultView& v);

std::string FormatCompareTable(const std::vector<CompareEntry>& entries);
nlohmann::json CompareJson(const std::vector<CompareEntry>& entries);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_COMPARE_TABLE_H_
