// JobManager, client side: submit, get, list, cancel, result, watch.
#include "server/job_manager.h"

#include <exception>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/quote.h"
#include "base/status_macros.h"
#include "search/spec.h"
#include "server/dataset_manager.h"
#include "server/export_blobs.h"
#include "server/profile_rules.h"
#include "server/request_ids.h"

namespace bitsearch::server {
namespace {

constexpr int kDefaultPageSize = 50;

// Parses and validates spec text; never throws (the JSON library may, on odd input).
absl::StatusOr<JobSpec> ValidateSpec(const std::string& text) {
  try {
    absl::StatusOr<JobSpec> spec = ParseJobSpecText(text);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid spec: ", spec.status().message()));
    }
    return spec;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid spec: ", e.what()));
  }
}

absl::StatusOr<std::string> NormalizedSpecJson(const JobSpec& spec) {
  try {
    return JobSpecToJson(spec).dump();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid spec: ", e.what()));
  }
}

// A path in a spec names a file on the workers, inside their operator's --data-root folders
// (workers/job_inputs.h resolves it there). What can be refused without knowing those folders is
// refused here, before the job is queued: absolute paths, "..", control characters.
absl::Status CheckWorkerPath(const char* field, const std::string& path) {
  const bool data = absl::string_view(field).substr(0, 8) == "dataset.";
  auto refuse = [&](const char* why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid spec: ", field, " ", Quoted(path), ": ", why,
        "; a path names a file inside the workers' --data-root folders (or ",
        data ? "upload the data: bitsearch datasets upload PATH --name NAME, then \"dataset\": {\"ref\": NAME, ...})"
             : "upload the model with the job: bitsearch submit --onnx FILE)"));
  };
  if (path.size() > 1024) return refuse("is longer than 1024 bytes");
  if (path[0] == '/') return refuse("must be relative");
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return refuse("holds a control character");
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") return refuse("may not contain '..'");
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(const std::string& id) {
  BS_RETURN_IF_ERROR(CheckIdLength("client_request_id", id));
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError("client_request_id must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

}  // namespace

JobManager::JobManager(ServerStore* store, BlobStore* blobs, EventHub* hub, ServerMetrics* metrics,
                       const Clock* clock, JobManagerOptions options)
    : store_(store),
      blobs_(blobs),
      hub_(hub),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      rng_(std::random_device{}()) {}

std::string JobManager::NewJobId() {
  absl::MutexLock lock(&rng_mu_);
  return absl::StrFormat("job-%016x", rng_());
}

absl::StatusOr<SubmitOutcome> JobManager::Submit(const Caller& caller, const SubmitRequest& req) {
  const Limits& limits = options_.limits;
  absl::Status st = [&]() -> absl::Status {
    if (req.spec_json.empty()) return absl::InvalidArgumentError("spec_json is required");
    if (static_cast<int64_t>(req.spec_json.size()) > limits.max_spec_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("spec_json is ", req.spec_json.size(),
                                                     " bytes; the limit is ", limits.max_spec_bytes));
    }
    BS_RETURN_IF_ERROR(CheckRequestId(req.client_request_id));
    if (static_cast<int64_t>(req.onnx_model.size()) > limits.max_model_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("onnx_model is ", req.onnx_model.size(),
                                                     " bytes; the limit is ",
                                                     limits.max_model_bytes));
    }
    return absl::OkStatus();
  }();
  if (!st.ok()) {
    metrics_->CountSubmission("rejected");
    return st;
  }
  absl::StatusOr<SubmitOutcome> outcome = [&]() -> absl::StatusOr<SubmitOutcome> {
    BS_ASSIGN_OR_RETURN(JobSpec spec, ValidateSpec(req.spec_json));
    // A worker must be able to resolve the profile: a built-in, or one stored here.
    BS_RETURN_IF_ERROR(CheckJobProfile(*store_, spec.hardware.profile));
    if (!req.onnx_model.empty() && spec.model.onnx.empty()) {
      return absl::InvalidArgumentError(
          "onnx_model was uploaded but the spec's model has no \"onnx\" entry; use "
          "\"model\": {\"onnx\": \"NAME.onnx\"}");
    }
    BS_RETURN_IF_ERROR(CheckSpecInputs(&spec, !req.onnx_model.empty()));
    BS_ASSIGN_OR_RETURN(std::string spec_json, NormalizedSpecJson(spec));
    NewJob job;
    job.id = NewJobId();
    job.name = spec.name;
    job.spec_json = spec_json;
    job.client_request_id = req.client_request_id;
    job.owner = options_.job_ownership ? caller.principal : "";
    if (!req.onnx_model.empty()) {
      job.model_blob = absl::StrCat("models/", job.id, ".onnx");
      BS_RETURN_IF_ERROR(blobs_->WriteAtomic(job.model_blob, req.onnx_model));
    }
    SubmitOutcome out;
    absl::StatusOr<JobRecord> created =
        store_->CreateJob(job, clock_->NowMs(), &out.deduplicated);
    if (!job.model_blob.empty() && (!created.ok() || out.deduplicated)) {
      (void)blobs_->Remove(job.model_blob);
    }
    if (!created.ok()) return created.status();
    out.job = std::move(*created);
    return out;
  }();
  metrics_->CountSubmission(!outcome.ok()             ? "rejected"
                            : outcome->deduplicated ? "deduplicated"
                                                    : "accepted");
  return outcome;
}

absl::Status JobManager::CheckSpecInputs(JobSpec* spec, bool model_uploaded) {
  if (!model_uploaded && !spec->model.onnx.empty()) {
    BS_RETURN_IF_ERROR(CheckWorkerPath("model.onnx", spec->model.onnx));
  }
  // Every file a data set names (not those inside an uploaded one: parsing keeps them there).
  for (const auto& [field, path] : DatasetSpecPaths(spec->dataset)) {
    BS_RETURN_IF_ERROR(CheckWorkerPath(field.c_str(), path));
  }
  if (!spec->dataset.ref.empty()) {
    BS_ASSIGN_OR_RETURN(spec->dataset.digest,
                        ResolveDatasetRef(*store_, spec->dataset.ref, spec->dataset.digest));
  }
  return absl::OkStatus();
}

absl::StatusOr<JobRecord> JobManager::VisibleJob(const Caller& caller, const std::string& id) {
  BS_RETURN_IF_ERROR(RequireId("job_id", id));
  BS_ASSIGN_OR_RETURN(JobRecord job, store_->GetJob(id));
  BS_RETURN_IF_ERROR(CheckOwner(caller, job.owner, "job", id));
  return job;
}

absl::Status JobManager::CheckOwner(const Caller& caller, const std::string& owner, absl::string_view kind,
                                    const std::string& id) const {
  if (options_.job_ownership && !caller.admin && owner != caller.principal) {
    return absl::PermissionDeniedError(
        absl::StrCat(kind, " ", id, " belongs to another client (an admin token sees every ", kind, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<JobRecord> JobManager::GetJob(const Caller& caller, const std::string& id) {
  return VisibleJob(caller, id);
}

absl::StatusOr<JobListing> JobManager::ListJobs(const Caller& caller,
                                                std::optional<JobState> state,
                                                const std::string& page_token, int page_size) {
  BS_ASSIGN_OR_RETURN(ListQuery query, ListQueryOf(caller, page_token, page_size, "ListJobs"));
  BS_ASSIGN_OR_RETURN(JobPage page, store_->ListJobs(state, query.cursor, query.limit, query.owner));
  JobListing listing;
  listing.items = std::move(page.jobs);
  if (page.next_cursor > 0) listing.next_page_token = absl::StrCat(page.next_cursor);
  return listing;
}

absl::StatusOr<JobManager::ListQuery> JobManager::ListQueryOf(const Caller& caller, const std::string& page_token,
                                                             int page_size, absl::string_view method) const {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must be >= 0");
  ListQuery query;
  query.limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, options_.limits.max_page_size);
  if (!page_token.empty() && (!absl::SimpleAtoi(page_token, &query.cursor) || query.cursor <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("page_token is not a next_page_token from ", method));
  }
  query.owner = options_.job_ownership && !caller.admin ? caller.principal : "";
  if (options_.job_ownership && !caller.admin && query.owner.empty()) {
    return absl::PermissionDeniedError("job ownership is on but the caller has no identity");
  }
  return query;
}

absl::StatusOr<JobRecord> JobManager::CancelJob(const Caller& caller, const std::string& id) {
  BS_RETURN_IF_ERROR(VisibleJob(caller, id).status());
  BS_ASSIGN_OR_RETURN(JobRecord job, store_->CancelJob(id, clock_->NowMs()));
  JobFinished(job);
  return job;
}

absl::StatusOr<JobResult> JobManager::GetResult(const Caller& caller, const std::string& id,
                                                bool include_export) {
  BS_ASSIGN_OR_RETURN(JobRecord job, VisibleJob(caller, id));
  JobResult result;
  BS_ASSIGN_OR_RETURN(result.result_json, store_->GetResult(id));
  if (include_export) {
    BS_ASSIGN_OR_RETURN(result.export_files, LoadExportFiles(*blobs_, job.id, job.attempt));
  }
  return result;
}

absl::Status JobManager::CheckWatch(const Caller& caller, const std::string& id,
                                    int64_t after_sequence) {
  if (after_sequence < 0) return absl::InvalidArgumentError("after_sequence must be >= 0");
  return VisibleJob(caller, id).status();
}

absl::StatusOr<std::vector<JobEvent>> JobManager::ReadEvents(const std::string& id,
                                                             int64_t after_sequence, int limit) {
  return store_->ReadEvents(id, after_sequence, limit);
}

void JobManager::JobFinished(const JobRecord& job) {
  if (IsTerminal(job.state) && job.finished_ms > 0) {
    int64_t from = job.started_ms > 0 ? job.started_ms : job.created_ms;
    metrics_->ObserveJobFinished(job.state,
                                 job.finished_ms >= from ? (job.finished_ms - from) / 1000.0 : 0.0);
    // A succeeded job is never resumed: its checkpoint goes now. Those of failed and cancelled
    // jobs stay for inspection until the retention period ends (RemoveExpiredBlobs).
    if (job.state == JobState::kSucceeded && !job.checkpoint_blob.empty()) {
      (void)blobs_->Remove(job.checkpoint_blob);
    }
  }
  hub_->Notify(job.id);
  // The points waiting for a pretraining that will never succeed end now, with its reason; if
  // this fails the reaper's next pass does it.
  if (job.kind == JobKind::kPretrain &&
      (job.state == JobState::kFailed || job.state == JobState::kCancelled)) {
    (void)FailBlockedJobs();
  }
}

}  // namespace bitsearch::server
