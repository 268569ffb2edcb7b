#include "server/job_service.h"

#include <exception>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/spec.h"
#include "server/export_blobs.h"
#include "server/profile_service.h"
#include "server/proto_convert.h"
#include "server/status_macros.h"

namespace bitsearch::server {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr size_t kMaxRequestIdBytes = 128;

absl::Status RequireJobId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("job_id is required");
  if (id.size() > 128) return absl::InvalidArgumentError("job_id is longer than 128 bytes");
  return absl::OkStatus();
}

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

double SecondsBetween(int64_t from_ms, int64_t to_ms) {
  return from_ms > 0 && to_ms >= from_ms ? (to_ms - from_ms) / 1000.0 : 0.0;
}

}  // namespace

JobServiceImpl::JobServiceImpl(const ServiceContext& context)
    : sc_(context), id_rng_(std::random_device{}()) {}

std::string JobServiceImpl::NewJobId() {
  absl::MutexLock lock(&id_mu_);
  return absl::StrFormat("job-%016x", id_rng_());
}

absl::Status JobServiceImpl::Submit(const bitsearch::v1::SubmitJobRequest& req,
                                    bitsearch::v1::SubmitJobResponse* resp) {
  const Limits& limits = sc_.limits;
  if (req.spec_json().empty()) return absl::InvalidArgumentError("spec_json is required");
  if (static_cast<int64_t>(req.spec_json().size()) > limits.max_spec_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("spec_json is ", req.spec_json().size(),
                                                   " bytes; the limit is ", limits.max_spec_bytes));
  }
  if (req.client_request_id().size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("client_request_id is longer than ", kMaxRequestIdBytes, " bytes"));
  }
  for (char c : req.client_request_id()) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError("client_request_id must be printable ASCII without spaces");
    }
  }
  if (static_cast<int64_t>(req.onnx_model().size()) > limits.max_model_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("onnx_model is ", req.onnx_model().size(),
                                                   " bytes; the limit is ", limits.max_model_bytes));
  }
  BS_ASSIGN_OR_RETURN(JobSpec spec, ValidateSpec(req.spec_json()));
  // A worker must be able to resolve the profile: a built-in, or one stored here.
  BS_RETURN_IF_ERROR(CheckJobProfile(*sc_.store, spec.hardware.profile));
  if (!req.onnx_model().empty() && spec.model.onnx.empty()) {
    return absl::InvalidArgumentError(
        "onnx_model was uploaded but the spec's model has no \"onnx\" entry; use "
        "\"model\": {\"onnx\": \"NAME.onnx\"}");
  }
  BS_ASSIGN_OR_RETURN(std::string spec_json, NormalizedSpecJson(spec));

  NewJob job{NewJobId(), spec.name, spec_json, req.client_request_id(), ""};
  if (!req.onnx_model().empty()) {
    job.model_blob = absl::StrCat("models/", job.id, ".onnx");
    BS_RETURN_IF_ERROR(sc_.blobs->WriteAtomic(job.model_blob, req.onnx_model()));
  }
  bool deduplicated = false;
  absl::StatusOr<JobRecord> created = sc_.store->CreateJob(job, sc_.clock->NowMs(), &deduplicated);
  if (!job.model_blob.empty() && (!created.ok() || deduplicated)) {
    (void)sc_.blobs->Remove(job.model_blob);
  }
  if (!created.ok()) return created.status();
  ToProto(*created, resp->mutable_job());
  resp->set_deduplicated(deduplicated);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* JobServiceImpl::SubmitJob(grpc::CallbackServerContext* ctx,
                                                    const bitsearch::v1::SubmitJobRequest* req,
                                                    bitsearch::v1::SubmitJobResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/SubmitJob", {Role::kClient},
                  [&]() -> absl::Status {
                    absl::Status st = Submit(*req, resp);
                    sc_.metrics->CountSubmission(
                        !st.ok() ? "rejected" : resp->deduplicated() ? "deduplicated" : "accepted");
                    return st;
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJob(grpc::CallbackServerContext* ctx,
                                                 const bitsearch::v1::GetJobRequest* req,
                                                 bitsearch::v1::Job* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/GetJob", {Role::kClient},
                  [&]() -> absl::Status {
                    BS_RETURN_IF_ERROR(RequireJobId(req->job_id()));
                    BS_ASSIGN_OR_RETURN(JobRecord job, sc_.store->GetJob(req->job_id()));
                    ToProto(job, resp);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::ListJobs(grpc::CallbackServerContext* ctx,
                                                   const bitsearch::v1::ListJobsRequest* req,
                                                   bitsearch::v1::ListJobsResponse* resp) {
  return RunUnary(
      sc_, ctx, "bitsearch.v1.JobService/ListJobs", {Role::kClient}, [&]() -> absl::Status {
        if (req->page_size() < 0) return absl::InvalidArgumentError("page_size must be >= 0");
        int page_size = req->page_size() == 0 ? kDefaultPageSize
                                              : std::min(req->page_size(), sc_.limits.max_page_size);
        int64_t cursor = 0;
        if (!req->page_token().empty() &&
            (!absl::SimpleAtoi(req->page_token(), &cursor) || cursor <= 0)) {
          return absl::InvalidArgumentError("page_token is not a next_page_token from ListJobs");
        }
        std::optional<JobState> state;
        if (req->state() != bitsearch::v1::JOB_STATE_UNSPECIFIED) {
          if (req->state() < bitsearch::v1::JOB_STATE_QUEUED ||
              req->state() > bitsearch::v1::JOB_STATE_CANCELLED) {
            return absl::InvalidArgumentError(absl::StrCat("state ", req->state(), " is unknown"));
          }
          state = static_cast<JobState>(req->state());
        }
        BS_ASSIGN_OR_RETURN(JobPage page, sc_.store->ListJobs(state, cursor, page_size));
        for (const JobRecord& job : page.jobs) ToProto(job, resp->add_jobs());
        if (page.next_cursor > 0) resp->set_next_page_token(absl::StrCat(page.next_cursor));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::CancelJob(grpc::CallbackServerContext* ctx,
                                                    const bitsearch::v1::CancelJobRequest* req,
                                                    bitsearch::v1::Job* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/CancelJob", {Role::kClient},
                  [&]() -> absl::Status {
                    BS_RETURN_IF_ERROR(RequireJobId(req->job_id()));
                    BS_ASSIGN_OR_RETURN(JobRecord job,
                                        sc_.store->CancelJob(req->job_id(), sc_.clock->NowMs()));
                    sc_.metrics->ObserveJobFinished(
                        job.state, SecondsBetween(job.started_ms ? job.started_ms : job.created_ms,
                                                  job.finished_ms));
                    sc_.hub->Notify(job.id);
                    ToProto(job, resp);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetResult(grpc::CallbackServerContext* ctx,
                                                    const bitsearch::v1::GetResultRequest* req,
                                                    bitsearch::v1::GetResultResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/GetResult", {Role::kClient},
                  [&]() -> absl::Status {
                    BS_RETURN_IF_ERROR(RequireJobId(req->job_id()));
                    BS_ASSIGN_OR_RETURN(std::string result, sc_.store->GetResult(req->job_id()));
                    if (req->include_export()) {
                      BS_ASSIGN_OR_RETURN(JobRecord job, sc_.store->GetJob(req->job_id()));
                      BS_ASSIGN_OR_RETURN(*resp->mutable_export_files(),
                                          LoadExportFiles(*sc_.blobs, job.id, job.attempt));
                    }
                    resp->set_job_id(req->job_id());
                    resp->set_result_json(std::move(result));
                    return absl::OkStatus();
                  });
}

grpc::ServerWriteReactor<bitsearch::v1::JobEvent>* JobServiceImpl::WatchJob(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::WatchJobRequest* req) {
  return StartWatchJob(sc_, ctx, *req);
}

}  // namespace bitsearch::server
