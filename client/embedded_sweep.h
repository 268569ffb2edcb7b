// `bitsearch run` of a sweep (a spec with a "sweep" block, or `run SPEC --set FIELD=V1,V2`): the
// points run one after another in this process. Points that train the same float model share one
// pretraining (run once, then handed to each point as RunOptions::pretrained_model); each point's
// result is written as soon as it finishes, so an interrupted sweep continued with --resume
// re-runs only the points without a result; the sweep's result (Pareto marks), chart and report
// are written at the end.
//
// Thread-safety: one sweep per process (SIGINT/SIGTERM stop the running point).
#ifndef BITSEARCH_CLIENT_EMBEDDED_SWEEP_H_
#define BITSEARCH_CLIENT_EMBEDDED_SWEEP_H_

#include <string>

#include "search/pipeline/pipeline.h"
#include "search/sweep.h"

namespace bitsearch {

struct EmbeddedSweepArgs {
  std::string spec_path;    // for messages and the report's source line
  std::string out;          // the sweep's result JSON; points go to <out without .json>/<point>.json
  std::string checkpoint_dir;  // one checkpoint per point: <dir>/<point>.ckpt
  bool resume = false;      // reuse finished points' results and running points' checkpoints
  RunOptions options;       // threads, cache; export_dir is not used for sweeps
};

// Runs every point of `plan`; returns the process exit code (0 when every point succeeded,
// 1 when one failed, 130 when interrupted).
int RunEmbeddedSweep(const SweepPlan& plan, const EmbeddedSweepArgs& args);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_EMBEDDED_SWEEP_H_
