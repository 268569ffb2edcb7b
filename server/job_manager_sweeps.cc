// JobManager, sweeps: submit (expand, group the points by the float model they train, one
// pretraining job per group they depend on), get, list, cancel, and the sweep's result.
//
// How a sweep runs on the service: the points of a group are QUEUED with depends_on = the group's
// pretraining job, and LeaseNext skips them until that job SUCCEEDED. The pretraining job trains
// the float model once and completes with it as its export file "pretrained.fp" (a pretrain-cache
// entry); each point's lease carries that file, the worker files it in its pretrain cache, and
// the point's pipeline starts from it instead of training again. Then the points fan out to every
// free worker. A failed or cancelled pretraining fails its points with its reason
// (FailBlockedJobs); a failed point fails alone.
#include <exception>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "search/pretrain_key.h"
#include "search/report/result_view.h"
#include "search/report/sweep_result.h"
#include "search/sweep.h"
#include "server/job_manager.h"
#include "server/profile_rules.h"
#include "server/request_ids.h"

namespace bitsearch::server {
namespace {

using nlohmann::json;


// Expands and validates; never throws (the JSON library may, on odd input).
absl::StatusOr<SweepPlan> ExpandSpec(const std::string& text) {
  try {
    absl::StatusOr<SweepPlan> plan = ExpandSweepText(text);
    if (!plan.ok()) return absl::InvalidArgumentError(absl::StrCat("invalid sweep: ", plan.status().message()));
    if (plan->axes.empty()) {
      return absl::InvalidArgumentError(
          "invalid sweep: the spec has no \"sweep\" block (submit one job with SubmitJob)");
    }
    return plan;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid sweep: ", e.what()));
  }
}

// "name-pretrain" (+ "-K" for the K-th of several float models), at most 128 bytes.
std::string PretrainJobName(const std::string& sweep, size_t k, size_t groups) {
  std::string suffix = groups > 1 ? absl::StrCat("-pretrain-", k + 1) : "-pretrain";
  return sweep.substr(0, 128 - suffix.size()) + suffix;
}

}  // namespace

std::string JobManager::NewSweepId() {
  absl::MutexLock lock(&rng_mu_);
  return absl::StrFormat("sweep-%016x", rng_());
}

absl::StatusOr<SubmitSweepOutcome> JobManager::SubmitSweep(const Caller& caller,
                                                           const SubmitSweepRequest& req) {
  if (req.spec_json.empty()) return absl::InvalidArgumentError("spec_json is required");
  if (static_cast<int64_t>(req.spec_json.size()) > options_.limits.max_spec_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("spec_json is ", req.spec_json.size(),
                                                   " bytes; the limit is ", options_.limits.max_spec_bytes));
  }
  BS_RETURN_IF_ERROR(CheckIdLength("client_request_id", req.client_request_id));
  BS_ASSIGN_OR_RETURN(SweepPlan plan, ExpandSpec(req.spec_json));
  for (SweepPoint& p : plan.points) {
    if (!p.spec.model.onnx.empty()) {
      return absl::InvalidArgumentError(
          "invalid sweep: model.onnx: the service does not run sweeps of an uploaded ONNX model; "
          "run the sweep embedded (bitsearch run) or submit its points as jobs");
    }
    BS_RETURN_IF_ERROR(CheckJobProfile(*store_, p.spec.hardware.profile));
    BS_RETURN_IF_ERROR(CheckSpecInputs(&p.spec, /*model_uploaded=*/false));
  }
  const std::string owner = options_.job_ownership ? caller.principal : "";
  NewSweep sweep{NewSweepId(), plan.name, SweepSpecJson(plan).dump(), req.client_request_id, owner};
  // Points that train the same float model share one pretraining job (when there are several).
  std::map<uint64_t, std::vector<size_t>> groups;
  std::vector<json> specs;
  for (size_t i = 0; i < plan.points.size(); ++i) {
    specs.push_back(JobSpecToJson(plan.points[i].spec));
    if (TrainsFloatModel(plan.points[i].spec)) groups[PretrainKeyHash(specs.back())].push_back(i);
  }
  std::vector<NewJob> jobs;
  std::vector<std::string> depends_on(plan.points.size());
  size_t shared = 0;
  for (const auto& [key, members] : groups) shared += members.size() > 1;
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    NewJob pretrain;
    pretrain.id = NewJobId();
    pretrain.name = PretrainJobName(plan.name, jobs.size(), shared);
    json spec = specs[members.front()];
    spec["name"] = pretrain.name;
    pretrain.spec_json = spec.dump();
    pretrain.owner = owner;
    pretrain.kind = JobKind::kPretrain;
    for (size_t i : members) depends_on[i] = pretrain.id;
    jobs.push_back(std::move(pretrain));
  }
  for (size_t i = 0; i < plan.points.size(); ++i) {
    NewJob point;
    point.id = NewJobId();
    point.name = plan.points[i].spec.name;
    point.spec_json = specs[i].dump();
    point.owner = owner;
    point.depends_on = depends_on[i];
    point.settings_json = plan.points[i].settings.dump();
    jobs.push_back(std::move(point));
  }
  SubmitSweepOutcome out;
  absl::StatusOr<SweepRow> created = store_->CreateSweep(sweep, jobs, clock_->NowMs(), &out.deduplicated);
  metrics_->CountSubmission(!created.ok() ? "rejected" : out.deduplicated ? "deduplicated" : "accepted");
  if (!created.ok()) return created.status();
  BS_ASSIGN_OR_RETURN(out.sweep, SweepInfoOf(std::move(*created)));
  return out;
}

absl::StatusOr<SweepInfo> JobManager::SweepInfoOf(SweepRow sweep) {
  SweepInfo info;
  BS_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, store_->ListSweepJobs(sweep.id));
  std::vector<std::string> states;
  int failed = 0;
  std::string first_error, pretrain_error;
  for (JobRecord& job : jobs) {
    states.push_back(JobStateName(job.state));
    info.finished_ms = std::max(info.finished_ms, job.finished_ms);
    if (job.kind == JobKind::kPretrain) {
      if (job.state == JobState::kFailed && pretrain_error.empty()) pretrain_error = job.error;
      info.pretrain_jobs.push_back(std::move(job));
      continue;
    }
    if (job.state == JobState::kFailed && ++failed == 1) first_error = absl::StrCat(job.name, ": ", job.error);
    info.points.push_back(std::move(job));
  }
  info.state = ParseJobState(SweepStateOf(states, sweep.cancel_requested)).value_or(JobState::kFailed);
  if (!IsTerminal(info.state)) info.finished_ms = 0;
  if (info.state == JobState::kFailed) {
    info.error = !pretrain_error.empty()
                     ? absl::StrCat("pretraining failed: ", pretrain_error)
                     : absl::StrCat(failed, " of ", info.points.size(), " points failed (first: ", first_error, ")");
  }
  info.sweep = std::move(sweep);
  return info;
}

absl::StatusOr<SweepInfo> JobManager::VisibleSweep(const Caller& caller, const std::string& id) {
  BS_RETURN_IF_ERROR(RequireId("sweep_id", id));
  BS_ASSIGN_OR_RETURN(SweepRow sweep, store_->GetSweep(id));
  BS_RETURN_IF_ERROR(CheckOwner(caller, sweep.owner, "sweep", id));
  return SweepInfoOf(std::move(sweep));
}

absl::StatusOr<SweepInfo> JobManager::GetSweep(const Caller& caller, const std::string& id) {
  return VisibleSweep(caller, id);
}

absl::StatusOr<SweepListing> JobManager::ListSweeps(const Caller& caller, const std::string& page_token,
                                                    int page_size) {
  BS_ASSIGN_OR_RETURN(ListQuery query, ListQueryOf(caller, page_token, page_size, "ListSweeps"));
  BS_ASSIGN_OR_RETURN(SweepPage page, store_->ListSweeps(query.cursor, query.limit, query.owner));
  SweepListing listing;
  for (SweepRow& row : page.sweeps) {
    BS_ASSIGN_OR_RETURN(SweepInfo info, SweepInfoOf(std::move(row)));
    listing.items.push_back(std::move(info));
  }
  if (page.next_cursor > 0) listing.next_page_token = absl::StrCat(page.next_cursor);
  return listing;
}

absl::StatusOr<SweepInfo> JobManager::CancelSweep(const Caller& caller, const std::string& id) {
  BS_RETURN_IF_ERROR(VisibleSweep(caller, id).status());
  BS_ASSIGN_OR_RETURN(std::vector<JobRecord> cancelled, store_->CancelSweep(id, clock_->NowMs()));
  for (const JobRecord& job : cancelled) JobFinished(job);
  return VisibleSweep(caller, id);
}

absl::StatusOr<std::string> JobManager::GetSweepResult(const Caller& caller, const std::string& id) {
  BS_ASSIGN_OR_RETURN(SweepInfo info, VisibleSweep(caller, id));
  SweepRecord record;
  record.id = info.sweep.id;
  record.name = info.sweep.name;
  record.state = JobStateName(info.state);
  json spec = json::parse(info.sweep.spec_json, nullptr, /*allow_exceptions=*/false);
  record.axes = spec.is_object() && spec.contains("sweep") ? spec["sweep"] : json::object();
  bool any_result = false;
  for (const JobRecord& job : info.pretrain_jobs) record.pretrain_jobs.push_back(job.id);
  record.pretrain_runs = static_cast<int>(info.pretrain_jobs.size());
  for (const JobRecord& job : info.points) {
    SweepPointRecord p;
    p.name = job.name;
    p.job_id = job.id;
    p.settings = json::parse(job.settings_json, nullptr, /*allow_exceptions=*/false);
    if (p.settings.is_discarded()) p.settings = json::object();
    p.state = JobStateName(job.state);
    p.error = job.error;
    if (job.has_result) {
      BS_ASSIGN_OR_RETURN(std::string text, store_->GetResult(job.id));
      absl::StatusOr<json> result = ParseResultJson(text);
      if (result.ok()) {
        p.result = std::move(*result);
        any_result = true;
      }
    }
    // A point that depends on no pretraining trained its own float model.
    if (job.depends_on.empty()) {
      absl::StatusOr<JobSpec> spec_of = ParseJobSpecText(job.spec_json);
      if (spec_of.ok() && TrainsFloatModel(*spec_of)) ++record.pretrain_runs;
    }
    record.points.push_back(std::move(p));
  }
  if (!any_result) {
    return absl::FailedPreconditionError(
        absl::StrCat("sweep ", id, " has no result yet (state ", JobStateName(info.state), ")"));
  }
  return BuildSweepResult(record).dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::Status JobManager::FailBlockedJobs() {
  BS_ASSIGN_OR_RETURN(std::vector<JobRecord> failed, store_->FailBlockedJobs(clock_->NowMs()));
  for (const JobRecord& job : failed) JobFinished(job);
  return absl::OkStatus();
}

}  // namespace bitsearch::server
