// The catalog of strategies a job can name: zoo models, search methods, priors, refine methods,
// baselines and fine-tune methods, each with a one-line description. It is the one list of names: spec validation,
// `bitsearch models list`, `bitsearch methods list` and the torch-side factories (which are keyed
// by the same names; search/pipeline/registry.h and its test check that the two agree) read it.
//
// Torch-free, so the server validates specs without LibTorch. Built-in entries are fixed; a
// process may add entries at start-up (a test binary registers its test-only method this way).
// Thread-safety: all functions may be called from any thread.
#ifndef BITSEARCH_SEARCH_CATALOG_H_
#define BITSEARCH_SEARCH_CATALOG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace bitsearch {

enum class StrategyKind { kZooModel, kSearchMethod, kPrior, kRefineMethod, kBaseline, kFinetuneMethod };

struct StrategyInfo {
  std::string name;         // what a spec writes ("bayesian_bits", "w8a8")
  std::string description;  // one line for list commands and error messages
};

// "zoo model", "search method", ... (for messages).
const char* StrategyKindName(StrategyKind kind);

// Every entry of `kind`: the built-ins first, then those added at run time, in that order.
std::vector<StrategyInfo> ListStrategies(StrategyKind kind);
std::vector<std::string> StrategyNames(StrategyKind kind);
bool HasStrategy(StrategyKind kind, const std::string& name);

// Adds an entry. Errors: ALREADY_EXISTS when `kind` has that name, INVALID_ARGUMENT for an empty
// name. Torch-side registries call this; code that only validates specs never does.
absl::Status AddStrategy(StrategyKind kind, StrategyInfo info);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_CATALOG_H_
