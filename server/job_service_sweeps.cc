// bitsearch.v1.JobService, sweeps: convert, call the JobManager (job_manager_sweeps.cc).
#include "base/status_macros.h"
#include "server/job_service.h"
#include "server/proto_convert.h"

namespace bitsearch::server {
namespace {

// `with_specs` = false leaves the jobs' specs out (a listing would repeat one spec per point).
void ToProto(const SweepInfo& info, v1::Sweep* out, bool with_specs) {
  out->set_id(info.sweep.id);
  out->set_name(info.sweep.name);
  out->set_state(static_cast<v1::JobState>(info.state));
  out->set_spec_json(info.sweep.spec_json);
  out->set_client_request_id(info.sweep.client_request_id);
  out->set_created_unix_ms(info.sweep.created_ms);
  out->set_finished_unix_ms(info.finished_ms);
  out->set_cancel_requested(info.sweep.cancel_requested);
  out->set_error(info.error);
  for (const auto& [jobs, field] : {std::pair{&info.points, out->mutable_points()},
                                    std::pair{&info.pretrain_jobs, out->mutable_pretrain_jobs()}}) {
    for (const JobRecord& job : *jobs) {
      v1::Job* j = field->Add();
      ToProto(job, j);
      if (!with_specs) j->clear_spec_json();
    }
  }
}

}  // namespace

Unary* JobServiceImpl::SubmitSweep(Ctx* ctx, const v1::SubmitSweepRequest* req,
                                   v1::SubmitSweepResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.JobService/SubmitSweep", {Role::kClient},
      [&](const Caller& caller) {
        SubmitSweepRequest submit{req->spec_json(), req->client_request_id()};
        return sc_.jobs->SubmitSweep(caller, submit);
      },
      [&](const SubmitSweepOutcome& out) {
        ToProto(out.sweep, resp->mutable_sweep(), /*with_specs=*/false);
        resp->set_deduplicated(out.deduplicated);
      });
}

Unary* JobServiceImpl::GetSweep(Ctx* ctx, const v1::GetSweepRequest* req, v1::Sweep* resp) {
  return RunById(sc_, ctx, "bitsearch.v1.JobService/GetSweep", &JobManager::GetSweep,
                 req->sweep_id(), [&](const SweepInfo& info) { ToProto(info, resp, true); });
}

Unary* JobServiceImpl::ListSweeps(Ctx* ctx, const v1::ListSweepsRequest* req,
                                  v1::ListSweepsResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.JobService/ListSweeps", {Role::kClient},
      [&](const Caller& caller) {
        return sc_.jobs->ListSweeps(caller, req->page_token(), req->page_size());
      },
      [&](const SweepListing& listing) {
        for (const SweepInfo& s : listing.items) ToProto(s, resp->add_sweeps(), false);
        resp->set_next_page_token(listing.next_page_token);
      });
}

Unary* JobServiceImpl::CancelSweep(Ctx* ctx, const v1::CancelSweepRequest* req, v1::Sweep* resp) {
  return RunById(sc_, ctx, "bitsearch.v1.JobService/CancelSweep", &JobManager::CancelSweep,
                 req->sweep_id(), [&](const SweepInfo& info) { ToProto(info, resp, false); });
}

Unary* JobServiceImpl::GetSweepResult(Ctx* ctx, const v1::GetSweepResultRequest* req,
                                      v1::GetSweepResultResponse* resp) {
  return RunById(sc_, ctx, "bitsearch.v1.JobService/GetSweepResult", &JobManager::GetSweepResult,
                 req->sweep_id(), [&](std::string& result) {
                   resp->set_sweep_id(req->sweep_id());
                   resp->set_result_json(std::move(result));
                 });
}

}  // namespace bitsearch::server
