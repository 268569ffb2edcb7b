#include "server/job_service.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/proto_convert.h"

namespace bitsearch::server {

grpc::ServerUnaryReactor* JobServiceImpl::SubmitJob(grpc::CallbackServerContext* ctx,
                                                    const bitsearch::v1::SubmitJobRequest* req,
                                                    bitsearch::v1::SubmitJobResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/SubmitJob", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(
                        SubmitOutcome out,
                        sc_.jobs->Submit(caller, SubmitRequest{req->spec_json(),
                                                               req->client_request_id(),
                                                               req->onnx_model()}));
                    ToProto(out.job, resp->mutable_job());
                    resp->set_deduplicated(out.deduplicated);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJob(grpc::CallbackServerContext* ctx,
                                                 const bitsearch::v1::GetJobRequest* req,
                                                 bitsearch::v1::Job* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/GetJob", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(JobRecord job, sc_.jobs->GetJob(caller, req->job_id()));
                    ToProto(job, resp);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::ListJobs(grpc::CallbackServerContext* ctx,
                                                   const bitsearch::v1::ListJobsRequest* req,
                                                   bitsearch::v1::ListJobsResponse* resp) {
  return RunUnary(
      sc_, ctx, "bitsearch.v1.JobService/ListJobs", {Role::kClient},
      [&](const Caller& caller) -> absl::Status {
        std::optional<JobState> state;
        if (req->state() != bitsearch::v1::JOB_STATE_UNSPECIFIED) {
          if (req->state() < bitsearch::v1::JOB_STATE_QUEUED ||
              req->state() > bitsearch::v1::JOB_STATE_CANCELLED) {
            return absl::InvalidArgumentError(absl::StrCat("state ", req->state(), " is unknown"));
          }
          state = static_cast<JobState>(req->state());
        }
        BS_ASSIGN_OR_RETURN(JobListing listing, sc_.jobs->ListJobs(caller, state, req->page_token(),
                                                                   req->page_size()));
        for (const JobRecord& job : listing.items) ToProto(job, resp->add_jobs());
        resp->set_next_page_token(listing.next_page_token);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::CancelJob(grpc::CallbackServerContext* ctx,
                                                    const bitsearch::v1::CancelJobRequest* req,
                                                    bitsearch::v1::Job* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/CancelJob", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(JobRecord job, sc_.jobs->CancelJob(caller, req->job_id()));
                    ToProto(job, resp);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetResult(grpc::CallbackServerContext* ctx,
                                                    const bitsearch::v1::GetResultRequest* req,
                                                    bitsearch::v1::GetResultResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/GetResult", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(JobResult result,
                                        sc_.jobs->GetResult(caller, req->job_id(),
                                                            req->include_export()));
                    for (ExportedFile& f : result.export_files) {
                      bitsearch::v1::ExportedFile* out = resp->add_export_files();
                      out->set_name(std::move(f.name));
                      out->set_data(std::move(f.data));
                    }
                    resp->set_job_id(req->job_id());
                    resp->set_result_json(std::move(result.result_json));
                    return absl::OkStatus();
                  });
}

grpc::ServerWriteReactor<bitsearch::v1::JobEvent>* JobServiceImpl::WatchJob(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::WatchJobRequest* req) {
  return StartWatchJob(sc_, ctx, *req);
}

}  // namespace bitsearch::server
