// compare_methods: one phase per other search method ("compare:fracbits"), after the job's own
// method has finished. Each runs a whole job of its own (range initialisation, search, refinement,
// fine-tune) from this job's float model, so the methods share one pretraining and differ only in
// the search; its figures come from that job's result, the same code that reports any job.
// A comparison is not checkpointed inside: a resumed job runs a stopped one again from its start.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/cost.h"
#include "search/hardware.h"
#include "search/pipeline/comparison.h"
#include "search/pipeline/phase.h"
#include "search/pipeline/pipeline.h"
#include "search/pipeline/pretrain_cache.h"

namespace bitsearch {
namespace {

// The other method's events, under its own name, and the job's cancellation.
class PrefixedObserver : public JobObserver {
 public:
  PrefixedObserver(JobObserver* inner, std::string prefix)
      : inner_(inner), prefix_(std::move(prefix)) {}
  void OnPhaseStart(const std::string& phase, int64_t total_steps) override {
    if (inner_) inner_->OnLog(absl::StrCat(prefix_, phase, " starts"));
    (void)total_steps;
  }
  void OnProgress(const Progress& progress) override {
    if (!inner_) return;
    Progress p = progress;
    p.phase = prefix_ + p.phase;
    inner_->OnProgress(p);
  }
  void OnPhaseEnd(const std::string& phase, double seconds, const std::string& summary) override {
    if (inner_) {
      inner_->OnLog(absl::StrFormat("%s%s done in %.1f s: %s", prefix_, phase, seconds, summary));
    }
  }
  void OnLog(const std::string& line) override {
    if (inner_) inner_->OnLog(prefix_ + line);
  }
  bool CancelRequested() override { return inner_ && inner_->CancelRequested(); }

 private:
  JobObserver* inner_;
  std::string prefix_;
};

nlohmann::json TargetJson(const SearchSpec::Target& t) {
  if (t.latency) return {{"latency", *t.latency}};
  return {{"relative_bops_percent", *t.relative_bops_percent}};
}

// FracBits' target when the spec gives none: where the job's own search landed, in the unit
// of the job's prior (latency on its profile with the latency prior, relative BOPs otherwise).
absl::StatusOr<SearchSpec::Target> TargetFromOwnSearch(JobContext& job) {
  if (!job.state.config_searched) {
    return absl::FailedPreconditionError("compare_methods: the job's own search has no result");
  }
  SearchSpec::Target t;
  if (job.spec.search.regularizer == "latency") {
    auto latency = ConfigLatency(job.folded_graph, *job.state.config_searched, *job.latency);
    if (!latency.ok()) return latency.status();
    t.latency = latency->total;
  } else {
    t.relative_bops_percent =
        ComputeCosts(job.folded_graph, *job.state.config_searched).relative_bops_percent;
  }
  return t;
}

}  // namespace

nlohmann::json OwnComparisonTarget(const JobSpec& spec) {
  return spec.search.method == "fracbits" && spec.search.target ? TargetJson(*spec.search.target)
                                                                : nlohmann::json();
}

Phase ComparePhase(const std::string& method) {
  const std::string phase = "compare:" + method;
  return {phase, [method, phase](JobContext& job) -> absl::StatusOr<std::string> {
    JobSpec other = job.spec;
    other.name = absl::StrCat(job.spec.name, " [", method, "]");
    other.search.method = method;
    other.compare_methods.clear();
    other.baselines.clear();
    if (method == "fracbits" && !other.search.target) {
      auto target = TargetFromOwnSearch(job);
      if (!target.ok()) return target.status();
      other.search.target = *target;
      job.Log(absl::StrCat(phase, ": target ", TargetJson(*target).dump(), ", where ",
                           job.spec.search.method, "'s search landed"));
    }
    RunOptions options = job.options;
    options.export_dir.clear();
    options.resume = false;
    options.pretrain_only = false;
    options.pretrained_model =
        SerializeCachedPretrain({job.fp_state, job.state.accuracy_fp32.value_or(0)});
    PrefixedObserver observer(job.observer, phase + "/");
    auto result = RunJob(other, options, &observer, /*checkpoints=*/nullptr);
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat(phase, ": ", result.status().message()));
    }
    const nlohmann::json target =
        other.search.target && method == "fracbits" ? TargetJson(*other.search.target)
                                                    : nlohmann::json();
    nlohmann::json row = ComparisonRow(method, *result, target);
    job.state.comparisons[method] = row;
    return absl::StrFormat("%s: final top-1 %.2f%% at %.3f%% relative BOPs", method,
                           row["accuracy"]["final"].get<double>(),
                           row["relative_bops_percent"]["final"].get<double>());
  }};
}

}  // namespace bitsearch
