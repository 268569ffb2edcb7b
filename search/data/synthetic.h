// A seeded synthetic data set a small network can learn (class templates plus noise), for tests
// and for trying an imported model's shape without data. Thread-safety: pure function.
#ifndef BITSEARCH_SEARCH_DATA_SYNTHETIC_H_
#define BITSEARCH_SEARCH_DATA_SYNTHETIC_H_

#include <cstdint>
#include <vector>

#include "search/data/raw_data.h"

namespace bitsearch {

// `shape` is C,H,W; ten classes; float samples.
RawData MakeSynthetic(const std::vector<int64_t>& shape, int64_t n_train, int64_t n_test, uint64_t seed);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_DATA_SYNTHETIC_H_
