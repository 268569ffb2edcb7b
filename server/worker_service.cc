#include "server/worker_service.h"

#include "base/status_macros.h"
#include "server/proto_convert.h"

namespace bitsearch::server {

Unary* WorkerServiceImpl::Lease(Ctx* ctx, const v1::LeaseRequest* req, v1::LeaseResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Lease", {Role::kWorker},
                  [&](const Caller&) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(std::optional<LeasedJob> leased,
                                        sc_.jobs->Lease(req->worker_id()));
                    resp->set_leased(leased.has_value());
                    if (!leased) return absl::OkStatus();
                    ToProto(leased->lease, resp->mutable_lease());
                    resp->set_spec_json(leased->job.spec_json);
                    resp->set_lease_expires_unix_ms(leased->job.lease_expires_ms);
                    resp->set_lease_seconds(
                        static_cast<int32_t>(sc_.jobs->options().lease_ms / 1000));
                    resp->set_has_checkpoint(!leased->job.checkpoint_blob.empty());
                    resp->set_onnx_model(std::move(leased->onnx_model));
                    resp->set_profile_json(std::move(leased->profile_json));
                    resp->set_kind(leased->job.kind == JobKind::kPretrain
                                       ? v1::JOB_KIND_PRETRAIN
                                       : v1::JOB_KIND_SEARCH);
                    resp->set_pretrained_model(std::move(leased->pretrained_model));
                    return absl::OkStatus();
                  });
}

Unary* WorkerServiceImpl::Heartbeat(Ctx* ctx, const v1::HeartbeatRequest* req,
                                   v1::HeartbeatResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.WorkerService/Heartbeat", {Role::kWorker},
      [&](const Caller&) { return sc_.jobs->Heartbeat(FromProto(req->lease())); },
      [&](const HeartbeatReply& reply) {
        resp->set_cancel_requested(reply.cancel_requested);
        resp->set_lease_expires_unix_ms(reply.lease_expires_ms);
      });
}

Unary* WorkerServiceImpl::ReportProgress(Ctx* ctx, const v1::ReportProgressRequest* req,
                                        v1::ReportProgressResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.WorkerService/ReportProgress", {Role::kWorker},
      [&](const Caller&) {
        std::vector<JobEvent> events;
        events.reserve(req->events_size());
        for (const auto& e : req->events()) events.push_back(FromProto(e));
        return sc_.jobs->ReportProgress(FromProto(req->lease()), std::move(events));
      },
      [&](bool cancel) { resp->set_cancel_requested(cancel); });
}

Unary* WorkerServiceImpl::Complete(Ctx* ctx, const v1::CompleteRequest* req,
                                  v1::CompleteResponse*) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Complete", {Role::kWorker},
                  [&](const Caller&) -> absl::Status {
                    return sc_.jobs->Complete(FromProto(req->lease()), req->result_json(),
                                              FromProto(req->export_files()));
                  });
}

Unary* WorkerServiceImpl::Fail(Ctx* ctx, const v1::FailRequest* req, v1::FailResponse*) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Fail", {Role::kWorker},
                  [&](const Caller&) -> absl::Status {
                    return sc_.jobs->Fail(FromProto(req->lease()), req->error(), req->cancelled());
                  });
}

CheckpointReader* WorkerServiceImpl::UploadCheckpoint(Ctx* ctx,
                                                     v1::UploadCheckpointResponse* response) {
  return StartUploadCheckpoint(sc_, ctx, response);
}

CheckpointWriter* WorkerServiceImpl::DownloadCheckpoint(
    Ctx* ctx, const v1::DownloadCheckpointRequest* request) {
  return StartDownloadCheckpoint(sc_, ctx, *request);
}

}  // namespace bitsearch::server
