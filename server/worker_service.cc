#include "server/worker_service.h"

#include "base/status_macros.h"
#include "server/proto_convert.h"

namespace bitsearch::server {

grpc::ServerUnaryReactor* WorkerServiceImpl::Lease(grpc::CallbackServerContext* ctx,
                                                   const bitsearch::v1::LeaseRequest* req,
                                                   bitsearch::v1::LeaseResponse* resp) {
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
                                       ? bitsearch::v1::JOB_KIND_PRETRAIN
                                       : bitsearch::v1::JOB_KIND_SEARCH);
                    resp->set_pretrained_model(std::move(leased->pretrained_model));
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Heartbeat(grpc::CallbackServerContext* ctx,
                                                       const bitsearch::v1::HeartbeatRequest* req,
                                                       bitsearch::v1::HeartbeatResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Heartbeat", {Role::kWorker},
                  [&](const Caller&) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(HeartbeatReply reply,
                                        sc_.jobs->Heartbeat(FromProto(req->lease())));
                    resp->set_cancel_requested(reply.cancel_requested);
                    resp->set_lease_expires_unix_ms(reply.lease_expires_ms);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::ReportProgress(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::ReportProgressRequest* req,
    bitsearch::v1::ReportProgressResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/ReportProgress", {Role::kWorker},
                  [&](const Caller&) -> absl::Status {
                    std::vector<JobEvent> events;
                    events.reserve(req->events_size());
                    for (const auto& e : req->events()) events.push_back(FromProto(e));
                    BS_ASSIGN_OR_RETURN(bool cancel, sc_.jobs->ReportProgress(
                                                         FromProto(req->lease()), std::move(events)));
                    resp->set_cancel_requested(cancel);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Complete(grpc::CallbackServerContext* ctx,
                                                      const bitsearch::v1::CompleteRequest* req,
                                                      bitsearch::v1::CompleteResponse*) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Complete", {Role::kWorker},
                  [&](const Caller&) -> absl::Status {
                    return sc_.jobs->Complete(FromProto(req->lease()), req->result_json(),
                                              FromProto(req->export_files()));
                  });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Fail(grpc::CallbackServerContext* ctx,
                                                  const bitsearch::v1::FailRequest* req,
                                                  bitsearch::v1::FailResponse*) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Fail", {Role::kWorker},
                  [&](const Caller&) -> absl::Status {
                    return sc_.jobs->Fail(FromProto(req->lease()), req->error(), req->cancelled());
                  });
}

grpc::ServerReadReactor<bitsearch::v1::CheckpointChunk>* WorkerServiceImpl::UploadCheckpoint(
    grpc::CallbackServerContext* ctx, bitsearch::v1::UploadCheckpointResponse* response) {
  return StartUploadCheckpoint(sc_, ctx, response);
}

grpc::ServerWriteReactor<bitsearch::v1::CheckpointChunk>* WorkerServiceImpl::DownloadCheckpoint(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::DownloadCheckpointRequest* request) {
  return StartDownloadCheckpoint(sc_, ctx, *request);
}

}  // namespace bitsearch::server
