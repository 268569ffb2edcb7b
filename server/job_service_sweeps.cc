// bitsearch.v1.JobService, sweeps: convert, call the JobManager (job_manager_sweeps.cc).
#include "base/status_macros.h"
#include "server/job_service.h"
#include "server/proto_convert.h"

namespace bitsearch::server {
namespace {

// `with_specs` = false leaves the jobs' specs out (a listing would repeat one spec per point).
void ToProto(const SweepInfo& info, bitsearch::v1::Sweep* out, bool with_specs) {
  out->set_id(info.sweep.id);
  out->set_name(info.sweep.name);
  out->set_state(static_cast<bitsearch::v1::JobState>(info.state));
  out->set_spec_json(info.sweep.spec_json);
  out->set_client_request_id(info.sweep.client_request_id);
  out->set_created_unix_ms(info.sweep.created_ms);
  out->set_finished_unix_ms(info.finished_ms);
  out->set_cancel_requested(info.sweep.cancel_requested);
  out->set_error(info.error);
  for (const auto& [jobs, field] : {std::pair{&info.points, out->mutable_points()},
                                    std::pair{&info.pretrain_jobs, out->mutable_pretrain_jobs()}}) {
    for (const JobRecord& job : *jobs) {
      bitsearch::v1::Job* j = field->Add();
      ToProto(job, j);
      if (!with_specs) j->clear_spec_json();
    }
  }
}

}  // namespace

grpc::ServerUnaryReactor* JobServiceImpl::SubmitSweep(grpc::CallbackServerContext* ctx,
                                                      const bitsearch::v1::SubmitSweepRequest* req,
                                                      bitsearch::v1::SubmitSweepResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/SubmitSweep", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(SubmitSweepOutcome out,
                                        sc_.jobs->SubmitSweep(caller, SubmitSweepRequest{
                                                                          req->spec_json(),
                                                                          req->client_request_id()}));
                    ToProto(out.sweep, resp->mutable_sweep(), /*with_specs=*/false);
                    resp->set_deduplicated(out.deduplicated);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetSweep(grpc::CallbackServerContext* ctx,
                                                   const bitsearch::v1::GetSweepRequest* req,
                                                   bitsearch::v1::Sweep* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/GetSweep", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(SweepInfo info, sc_.jobs->GetSweep(caller, req->sweep_id()));
                    ToProto(info, resp, /*with_specs=*/true);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::ListSweeps(grpc::CallbackServerContext* ctx,
                                                     const bitsearch::v1::ListSweepsRequest* req,
                                                     bitsearch::v1::ListSweepsResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/ListSweeps", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(SweepListing listing,
                                        sc_.jobs->ListSweeps(caller, req->page_token(), req->page_size()));
                    for (const SweepInfo& s : listing.items) ToProto(s, resp->add_sweeps(), false);
                    resp->set_next_page_token(listing.next_page_token);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::CancelSweep(grpc::CallbackServerContext* ctx,
                                                      const bitsearch::v1::CancelSweepRequest* req,
                                                      bitsearch::v1::Sweep* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/CancelSweep", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(SweepInfo info, sc_.jobs->CancelSweep(caller, req->sweep_id()));
                    ToProto(info, resp, /*with_specs=*/false);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetSweepResult(grpc::CallbackServerContext* ctx,
                                                         const bitsearch::v1::GetSweepResultRequest* req,
                                                         bitsearch::v1::GetSweepResultResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.JobService/GetSweepResult", {Role::kClient},
                  [&](const Caller& caller) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(std::string result,
                                        sc_.jobs->GetSweepResult(caller, req->sweep_id()));
                    resp->set_sweep_id(req->sweep_id());
                    resp->set_result_json(std::move(result));
                    return absl::OkStatus();
                  });
}

}  // namespace bitsearch::server
