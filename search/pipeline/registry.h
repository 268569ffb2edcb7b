// The torch-side registries: one factory per search method, refine method and baseline, keyed by
// the names of search/catalog.h (zoo models and priors keep their factories beside their code:
// search/zoo.h, search/prior.h). Adding a method is one folder plus one line here; a binary may
// also register one at start-up (RegisterSearchMethod), which adds its name to the catalog so
// that specs can name it.
//
// Thread-safety: lookups and registrations may come from any thread.
#ifndef BITSEARCH_SEARCH_PIPELINE_REGISTRY_H_
#define BITSEARCH_SEARCH_PIPELINE_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "search/baseline_spec.h"
#include "search/baselines/baseline.h"
#include "search/catalog.h"
#include "search/methods/search_method.h"
#include "search/refine/refine_method.h"

namespace bitsearch {

using SearchMethodFactory = std::function<std::unique_ptr<SearchMethod>()>;
using RefineMethodFactory = std::function<std::unique_ptr<RefineMethod>()>;
using BaselineFactory = std::function<std::unique_ptr<Baseline>()>;

// Errors: INVALID_ARGUMENT for a name without a factory (the spec field is named).
absl::StatusOr<std::unique_ptr<SearchMethod>> MakeSearchMethod(const std::string& name);
absl::StatusOr<std::unique_ptr<RefineMethod>> MakeRefineMethod(const std::string& name);
absl::StatusOr<std::unique_ptr<Baseline>> MakeBaseline(const std::string& name);
// A catalog entry by its name, an object of the spec from its fields.
absl::StatusOr<std::unique_ptr<Baseline>> MakeBaseline(const BaselineSpec& baseline);

// Registers a factory and its catalog entry. Errors: ALREADY_EXISTS for a name in use.
absl::Status RegisterSearchMethod(StrategyInfo info, SearchMethodFactory factory);
absl::Status RegisterRefineMethod(StrategyInfo info, RefineMethodFactory factory);
absl::Status RegisterBaseline(StrategyInfo info, BaselineFactory factory);

// The names that have a factory, for every kind (checked against the catalog by a test).
std::vector<std::string> FactoryNames(StrategyKind kind);

// The fine-tune methods the pipeline runs (pipeline.cc's phases; not extensible at run time).
std::vector<std::string> FinetuneMethodNames();

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_REGISTRY_H_
