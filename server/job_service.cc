#include "server/job_service.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/proto_convert.h"

namespace bitsearch::server {
namespace {

// The job-state filter of ListJobs: nullopt for "any state", an error for a value the proto
// does not define.
absl::StatusOr<std::optional<JobState>> StateFilter(v1::JobState state) {
  if (state == v1::JOB_STATE_UNSPECIFIED) return std::nullopt;
  if (state < v1::JOB_STATE_QUEUED || state > v1::JOB_STATE_CANCELLED) {
    return absl::InvalidArgumentError(absl::StrCat("state ", state, " is unknown"));
  }
  return static_cast<JobState>(state);
}

}  // namespace

Unary* JobServiceImpl::SubmitJob(Ctx* ctx, const v1::SubmitJobRequest* req,
                                 v1::SubmitJobResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.JobService/SubmitJob", {Role::kClient},
      [&](const Caller& caller) {
        return sc_.jobs->Submit(
            caller, SubmitRequest{req->spec_json(), req->client_request_id(), req->onnx_model()});
      },
      [&](const SubmitOutcome& out) {
        ToProto(out.job, resp->mutable_job());
        resp->set_deduplicated(out.deduplicated);
      });
}

Unary* JobServiceImpl::GetJob(Ctx* ctx, const v1::GetJobRequest* req, v1::Job* resp) {
  return RunById(sc_, ctx, "bitsearch.v1.JobService/GetJob", &JobManager::GetJob, req->job_id(),
                 [&](const JobRecord& job) { ToProto(job, resp); });
}

Unary* JobServiceImpl::ListJobs(Ctx* ctx, const v1::ListJobsRequest* req,
                                v1::ListJobsResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.JobService/ListJobs", {Role::kClient},
      [&](const Caller& caller) -> absl::StatusOr<JobListing> {
        BS_ASSIGN_OR_RETURN(std::optional<JobState> state, StateFilter(req->state()));
        return sc_.jobs->ListJobs(caller, state, req->page_token(), req->page_size());
      },
      [&](const JobListing& listing) {
        for (const JobRecord& job : listing.items) ToProto(job, resp->add_jobs());
        resp->set_next_page_token(listing.next_page_token);
      });
}

Unary* JobServiceImpl::CancelJob(Ctx* ctx, const v1::CancelJobRequest* req, v1::Job* resp) {
  return RunById(sc_, ctx, "bitsearch.v1.JobService/CancelJob", &JobManager::CancelJob,
                 req->job_id(), [&](const JobRecord& job) { ToProto(job, resp); });
}

Unary* JobServiceImpl::GetResult(Ctx* ctx, const v1::GetResultRequest* req,
                                 v1::GetResultResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.JobService/GetResult", {Role::kClient},
      [&](const Caller& caller) {
        return sc_.jobs->GetResult(caller, req->job_id(), req->include_export());
      },
      [&](JobResult& result) {
        for (ExportedFile& f : result.export_files) {
          v1::ExportedFile* out = resp->add_export_files();
          out->set_name(std::move(f.name));
          out->set_data(std::move(f.data));
        }
        resp->set_job_id(req->job_id());
        resp->set_result_json(std::move(result.result_json));
      });
}

grpc::ServerWriteReactor<v1::JobEvent>* JobServiceImpl::WatchJob(Ctx* ctx,
                                                                 const v1::WatchJobRequest* req) {
  return StartWatchJob(sc_, ctx, *req);
}

}  // namespace bitsearch::server
