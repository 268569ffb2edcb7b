// What a pretrained float model depends on: the fields of a job spec that determine it (model,
// data, pretraining settings, seed, and the quantizer settings its serialized network starts
// from). Jobs whose keys are equal train the same float model, so they may share one: the
// pretrain cache files an entry under a hash of this key, and a sweep runs one pretraining per
// distinct key.
//
// Torch-free (the server groups a sweep's points with it). Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_PRETRAIN_KEY_H_
#define BITSEARCH_SEARCH_PRETRAIN_KEY_H_

#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"
#include "search/spec.h"

namespace bitsearch {

// The key of `full_spec` (JobSpecToJson's output, every default filled in). Changing what goes
// into it orphans every cached entry.
nlohmann::json PretrainKey(const nlohmann::json& full_spec);
// A stable 64-bit hash of the key (FNV-1a of its JSON text: the same on every build and machine).
uint64_t PretrainKeyHash(const nlohmann::json& full_spec);

// The file in which a sweep's shared pretraining returns its float model (a pretrain-cache entry):
// the pipeline writes it with RunOptions::pretrain_only, the server hands it to the points.
inline constexpr char kPretrainedModelFile[] = "pretrained.fp";

// Whether a job of `spec` trains its float model at all: an imported ONNX model brings its own
// weights, and zero pretraining epochs train nothing. Only such jobs are worth sharing.
bool TrainsFloatModel(const JobSpec& spec);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PRETRAIN_KEY_H_
