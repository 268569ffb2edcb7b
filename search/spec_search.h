// The "search" block and "compare_methods" of a job spec, and the catalog check the spec's
// parser shares: split from spec.cc to keep each file to one block family.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_SPEC_SEARCH_H_
#define BITSEARCH_SEARCH_SPEC_SEARCH_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "search/catalog.h"
#include "search/spec.h"
#include "search/spec_reader.h"

namespace bitsearch::spec_internal {

// `v` must name a catalog entry of `kind`; the error names `path` and the choices.
absl::Status CheckStrategy(const std::string& path, StrategyKind kind, const std::string& v);

// Reads root's "search" block into `s` and "compare_methods" into `compare_methods` (empty when
// absent). Errors name the field.
absl::Status ParseSearch(ObjectReader& root, SearchSpec* s,
                         std::vector<std::string>* compare_methods);

}  // namespace bitsearch::spec_internal

#endif  // BITSEARCH_SEARCH_SPEC_SEARCH_H_
