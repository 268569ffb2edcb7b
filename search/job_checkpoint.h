// What a job checkpoint holds and its byte format: the job's metadata (phase, cursor, results so
// far), the folded FP weights every later phase starts from, the current network and optimizer
// state and the gate-noise generator. One opaque byte string, so the embedded CLI keeps it in a
// file and a worker uploads it to the server unchanged. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_JOB_CHECKPOINT_H_
#define BITSEARCH_SEARCH_JOB_CHECKPOINT_H_

#include <torch/torch.h>

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace bitsearch {

struct JobCheckpoint {
  nlohmann::json meta;
  std::string fp_state;         // SerializeModule of the folded FP network ("" before it exists)
  std::string model_state;      // SerializeModule of the phase's network at the cursor
  std::string optimizer_state;  // SerializeOptimizer ("" at the start of a phase)
  torch::Tensor generator_state;
};

std::string SerializeJobCheckpoint(const JobCheckpoint& checkpoint);
// Errors: DATA_LOSS for bytes that are not a whole checkpoint.
absl::StatusOr<JobCheckpoint> ParseJobCheckpoint(const std::string& bytes);
// The whole sections of a checkpoint cut short (or corrupt further on): the fields before the
// cut are set, those after it are left empty (meta null, generator_state undefined). The
// metadata comes first and the float model second, so a cut inside the later network states
// still leaves both. Errors: DATA_LOSS for a bad header or corrupt metadata.
absl::StatusOr<JobCheckpoint> ParseJobCheckpointHead(const std::string& bytes);

std::string SerializeModule(torch::nn::Module& module);
// Loads into `module`'s own device (ModuleDevice), whatever device wrote `bytes`.
void LoadModule(torch::nn::Module& module, const std::string& bytes);
// The device of a module's first parameter or buffer (CPU when it has none).
torch::Device ModuleDevice(const torch::nn::Module& module);
std::string SerializeOptimizer(torch::optim::Optimizer& optimizer);
void LoadOptimizer(torch::optim::Optimizer& optimizer, const std::string& bytes);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_JOB_CHECKPOINT_H_
