// What the phases of one job share: the spec and run options, the typed JobState, what set-up
// built (data, graphs, hardware profile, search method, noise source), the networks handed from
// phase to phase, and the checkpoint plumbing (save inside a phase, save at a boundary, resume).
//
// Thread-safety: one JobContext per job, used from the job's thread only.
#ifndef BITSEARCH_SEARCH_PIPELINE_JOB_CONTEXT_H_
#define BITSEARCH_SEARCH_PIPELINE_JOB_CONTEXT_H_

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "latency_models/latency_model.h"
#include "search/data/dataset.h"
#include "search/graph.h"
#include "search/job_checkpoint.h"
#include "search/methods/search_method.h"
#include "search/network.h"
#include "search/observer.h"
#include "search/onnx/onnx_import.h"
#include "search/pipeline/job_state.h"
#include "search/pipeline/pipeline.h"
#include "search/spec.h"

namespace bitsearch {

class JobContext {
 public:
  JobContext(const JobSpec& spec, const RunOptions& options, JobObserver* observer,
             CheckpointStore* checkpoints)
      : spec(spec), options(options), observer(observer), checkpoints(checkpoints) {}

  const JobSpec& spec;
  const RunOptions& options;
  JobObserver* const observer;       // may be null
  CheckpointStore* const checkpoints;  // may be null: nothing is serialized then
  JobState state;

  // Built by SetUpJob (setup.h) before any phase runs.
  torch::Device device = torch::kCPU;  // options.device, checked: every network lives there
  Dataset data;
  Graph graph;                  // as built or imported (BatchNorms unfolded)
  Graph folded_graph;           // BatchNorms folded: every network after pretraining
  std::optional<ImportedModel> imported;  // set when the spec names an ONNX model
  std::unique_ptr<LatencyModel> latency;
  std::unique_ptr<SearchMethod> method;
  at::Generator generator;      // gate noise; travels in every checkpoint
  std::optional<JobCheckpoint> resume;  // the checkpoint this run continues from
  std::string resume_phase;             // ... the phase it stopped in
  PhaseCursor resume_cursor;            // ... and where in it

  // Networks handed between phases (SerializeModule bytes). fp_state travels in every checkpoint;
  // handoff_state is the boundary checkpoint's model state.
  std::string fp_state;       // the folded float network: the search and baselines start there
  std::string handoff_state;  // the network the next phase starts from ("" = none)

  void Log(const std::string& line);
  // Records `phase` as done with its time and tells the observer.
  void MarkDone(const std::string& phase, double seconds, const std::string& summary);

  // True when this run resumes inside (or at the start of) `phase`.
  bool Resuming(const std::string& phase) const;
  // True when it resumes mid-`phase`, with an optimizer state to continue from.
  bool ResumingMidPhase(const std::string& phase) const;
  PhaseCursor ResumeCursor() const { return resume_cursor; }
  const std::string& ResumeOptimizerState() const { return resume->optimizer_state; }
  // The network `phase` starts from: the resumed one when resuming it with a state, else `fresh`.
  const std::string& StartState(const std::string& phase, const std::string& fresh) const;

  // A checkpoint inside `phase` at `cursor` (no-op without a store).
  absl::Status SaveInPhase(const std::string& phase, const PhaseCursor& cursor,
                           torch::nn::Module* net, torch::optim::Optimizer* optimizer);
  // A checkpoint between phases: `next` starts from handoff_state.
  absl::Status SaveBoundary(const std::string& next);

  // Networks of the folded graph with the job's noise source: with the search method's
  // quantizers, or with Bayesian Bits ones (pretraining, baselines).
  Network NewNetwork() const;
  Network NewDefaultNetwork() const;
  // The network the fine-tune trains and the export writes: the method's quantizers, or
  // post-training ones when finetune.method rounds with AdaRound (its phase hands those over).
  Network NewFinalNetwork() const;
  NetworkOptions DefaultNetworkOptions() const;

 private:
  absl::Status WriteCheckpoint(const std::string& phase, const PhaseCursor& cursor,
                               std::string model_state, std::string optimizer_state);
};

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_PIPELINE_JOB_CONTEXT_H_
