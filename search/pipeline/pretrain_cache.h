// The cache of pretrained float models: training is deterministic in the seed, so a job whose
// model, data, pretraining settings and seed match an earlier one's reuses its folded float
// network instead of training again. The embedded CLI keeps it under ~/.bitsearch/cache, a worker
// under its data directory (RunOptions::cache_dir).
// Thread-safety: entries are written atomically (temp file + rename); concurrent jobs with the
// same key may both train and both write the same bytes.
#ifndef BITSEARCH_SEARCH_PIPELINE_PRETRAIN_CACHE_H_
#define BITSEARCH_SEARCH_PIPELINE_PRETRAIN_CACHE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

struct CachedPretrain {
  std::string fp_state;   // SerializeModule of the folded float network
  double accuracy_fp32 = 0;  // its test top-1, percent
};

// The entry's path for a job whose full spec (JobSpecToJson) is `spec`: its PretrainKeyHash
// (search/pretrain_key.h) under `cache_dir` ("" when `cache_dir` is empty). Jobs that share a
// pretraining key share the entry.
std::string PretrainCachePath(const std::string& cache_dir, const nlohmann::json& spec);

// The entry at `path`, or nullopt when there is none or it cannot be read whole.
std::optional<CachedPretrain> LoadCachedPretrain(const std::string& path);
absl::Status StoreCachedPretrain(const std::string& path, const CachedPretrain& entry);

// An entry as bytes (what a file holds; a sweep's shared pretraining sends them to its points as
// kPretrainedModelFile, search/pretrain_key.h), and back: nullopt when `bytes` is no entry.
std::string SerializeCachedPretrain(const CachedPretrain& entry);
std::optional<CachedPretrain> ParseCachedPretrain(const std::string& bytes);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_PRETRAIN_CACHE_H_
