// The job pipeline: pretrain -> range init -> search (by the spec's method) -> refine ->
// fine-tune -> export -> baselines, then the result. One call runs one
// job; the phases live in one file each beside this one (phase.h), their state in JobState.
//
// Thread-safety: RunJob is reentrant; LibTorch's intra-op thread count is process-wide, so set it
// once per process (RunOptions::threads) rather than per job when several run at once.
#ifndef BITSEARCH_SEARCH_PIPELINE_PIPELINE_H_
#define BITSEARCH_SEARCH_PIPELINE_PIPELINE_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "search/observer.h"
#include "search/pretrain_key.h"
#include "search/spec.h"

namespace bitsearch {

struct RunOptions {
  int threads = 0;                 // LibTorch intra-op threads; 0 = number of cores
  std::string device = "cpu";      // torch::Device string ("cpu", "cuda:0")
  bool resume = true;              // continue from the store's checkpoint if it holds one
  bool restart_unreadable_checkpoint = false;  // a stored checkpoint that does not parse whole
                                   // (cut short, corrupt): true = log it and restart from the
                                   // float model it still holds, or from scratch (a worker);
                                   // false = fail with DATA_LOSS (the CLI: the user's file)
  std::string profiles_dir;        // where imported latency profiles live ("" = default)
  std::string profile_json;        // the profile itself (a worker gets it from the server);
                                   // "" = look hardware.profile up in profiles_dir
  std::string cache_dir;           // pretrained FP models are kept and reused here, keyed by
                                   // model, data, pretrain settings and seed ("" = no cache)
  std::string export_dir;          // "" = no export; else the fine-tuned model is exported there
                                   // (model.onnx, quant.json, model.pt; search/onnx/onnx_export.h)
  bool pretrain_only = false;      // stop after the float model (a sweep's shared pretraining):
                                   // the result holds its accuracy, export_dir the model as
                                   // kPretrainedModelFile (a pretrain-cache entry)
  std::string pretrained_model;    // a pretrain-cache entry to start from instead of training
                                   // (a sweep point's shared pretraining); "" = pretrain as usual
};

// Runs `spec` to the end and returns the result JSON (docs/SPEC.md and the README describe it).
// Errors: INVALID_ARGUMENT for a spec the pipeline cannot run (unknown profile, data missing),
// CANCELLED when the observer asked to stop (a checkpoint was saved first).
// `observer` and `checkpoints` may be null.
absl::StatusOr<nlohmann::json> RunJob(const JobSpec& spec, const RunOptions& options,
                                      JobObserver* observer, CheckpointStore* checkpoints);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_PIPELINE_H_
