#include "search/pipeline/pipeline.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"
#include "search/pipeline/comparison.h"
#include "search/pipeline/job_context.h"
#include "search/pipeline/phase.h"
#include "search/pipeline/pretrain_cache.h"
#include "search/pipeline/registry.h"
#include "search/pipeline/result.h"
#include "search/pipeline/setup.h"
#include "search/pretrain_key.h"

namespace bitsearch {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The phases of `job`, in order. finetune.method "adaround" and "adaround+qat" add the AdaRound
// phase; every method ends in the fine-tune phase (0 epochs with "adaround").
std::vector<Phase> JobPhases(const JobContext& job) {
  if (job.options.pretrain_only) return {{kPhasePretrain, RunPretrain}};
  std::vector<Phase> phases = {{kPhasePretrain, RunPretrain},
                               {kPhaseRangeInit, RunRangeInit},
                               {kPhaseSearch, RunSearch},
                               {kPhaseRefine, RunRefine}};
  if (job.spec.finetune.rounds()) phases.push_back({kPhaseAdaRound, RunAdaRound});
  phases.push_back({kPhaseFinetune, RunFinetune});
  if (!job.options.export_dir.empty()) phases.push_back({kPhaseExport, RunExport});
  for (const std::string& m : job.spec.compare_methods) {
    if (m != job.spec.search.method) phases.push_back(ComparePhase(m));
  }
  for (const BaselineSpec& b : job.spec.baselines) phases.push_back(BaselinePhase(b));
  return phases;
}

absl::StatusOr<nlohmann::json> Run(JobContext& job) {
  const auto start = Clock::now();
  BS_RETURN_IF_ERROR(SetUpJob(job));
  const std::vector<Phase> phases = JobPhases(job);
  for (size_t i = 0; i < phases.size(); ++i) {
    const std::string& name = phases[i].name;
    if (job.state.Done(name)) continue;
    const auto phase_start = Clock::now();
    auto summary = phases[i].run(job);
    if (!summary.ok()) return summary.status();
    job.MarkDone(name, Seconds(phase_start), *summary);
    BS_RETURN_IF_ERROR(job.SaveBoundary(i + 1 < phases.size() ? phases[i + 1].name : "end"));
  }
  if (job.options.pretrain_only) {  // a sweep's shared pretraining: the float model is the product
    if (!job.options.export_dir.empty()) {
      BS_RETURN_IF_ERROR(WriteFileAtomically(
          absl::StrCat(job.options.export_dir, "/", kPretrainedModelFile),
          SerializeCachedPretrain({job.fp_state, job.state.accuracy_fp32.value_or(0)})));
    }
    job.state.timings["total"] += Seconds(start);
    return nlohmann::json{{"name", job.spec.name},
                          {"accuracy", {{"fp32", job.state.accuracy_fp32.value_or(0)}}},
                          {"timings", job.state.timings}};
  }
  LatencyReport latency = MeasureLatency(job.folded_graph, job.state, *job.latency);
  job.state.timings["total"] += Seconds(start);
  nlohmann::json result = BuildResult(job.folded_graph, job.state, latency);
  if (!job.spec.compare_methods.empty()) {
    AddComparison(result, job.spec.compare_methods, job.spec.search.method,
                  OwnComparisonTarget(job.spec), job.state.comparisons);
  }
  return result;
}

}  // namespace

absl::StatusOr<nlohmann::json> RunJob(const JobSpec& spec, const RunOptions& options,
                                      JobObserver* observer, CheckpointStore* checkpoints) {
  // LibTorch reports errors by throwing; they stop here and become a status.
  try {
    JobContext job(spec, options, observer, checkpoints);
    return Run(job);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("LibTorch error: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("job failed: ", e.what()));
  }
}

std::vector<std::string> FinetuneMethodNames() { return {"qat", "adaround", "adaround+qat"}; }

}  // namespace bitsearch
