#include "server/worker_service.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/export_blobs.h"
#include "server/profile_service.h"
#include "server/proto_convert.h"
#include "server/status_macros.h"

namespace bitsearch::server {
namespace {

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxErrorBytes = 64 << 10;

absl::Status ValidateWorkerId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("worker_id is required");
  if (id.size() > kMaxIdBytes) return absl::InvalidArgumentError("worker_id is longer than 128 bytes");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLeaseRef(const bitsearch::v1::LeaseRef& lease) {
  BS_RETURN_IF_ERROR(ValidateWorkerId(lease.worker_id()));
  if (lease.job_id().empty()) return absl::InvalidArgumentError("lease.job_id is required");
  if (lease.attempt() <= 0) return absl::InvalidArgumentError("lease.attempt must be positive");
  return absl::OkStatus();
}

void WorkerServiceImpl::JobFinished(const JobRecord& job) {
  if (IsTerminal(job.state) && job.finished_ms > 0) {
    int64_t from = job.started_ms > 0 ? job.started_ms : job.created_ms;
    sc_.metrics->ObserveJobFinished(job.state, (job.finished_ms - from) / 1000.0);
  }
  sc_.hub->Notify(job.id);
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Lease(grpc::CallbackServerContext* ctx,
                                                   const bitsearch::v1::LeaseRequest* req,
                                                   bitsearch::v1::LeaseResponse* resp) {
  return RunUnary(
      sc_, ctx, "bitsearch.v1.WorkerService/Lease", {Role::kWorker}, [&]() -> absl::Status {
        BS_RETURN_IF_ERROR(ValidateWorkerId(req->worker_id()));
        int64_t now = sc_.clock->NowMs();
        BS_ASSIGN_OR_RETURN(std::optional<JobRecord> job,
                            sc_.store->LeaseNext(req->worker_id(), now, sc_.lease_ms));
        if (!job) {
          resp->set_leased(false);
          return absl::OkStatus();
        }
        sc_.metrics->ObserveQueueWait((now - job->queued_ms) / 1000.0);
        sc_.metrics->CountLease(!job->checkpoint_blob.empty());
        sc_.hub->Notify(job->id);
        resp->set_leased(true);
        resp->mutable_lease()->set_worker_id(req->worker_id());
        resp->mutable_lease()->set_job_id(job->id);
        resp->mutable_lease()->set_attempt(job->attempt);
        resp->set_spec_json(job->spec_json);
        resp->set_lease_expires_unix_ms(job->lease_expires_ms);
        resp->set_lease_seconds(static_cast<int32_t>(sc_.lease_ms / 1000));
        resp->set_has_checkpoint(!job->checkpoint_blob.empty());
        if (!job->model_blob.empty()) {
          BS_ASSIGN_OR_RETURN(*resp->mutable_onnx_model(), sc_.blobs->Read(job->model_blob));
        }
        // A stored profile travels with the lease; a missing one (it was checked at submission)
        // leaves the field empty and the pipeline's own lookup reports it.
        absl::StatusOr<std::string> profile = ProfileJsonForJob(*sc_.store, job->spec_json);
        if (profile.ok()) {
          resp->set_profile_json(std::move(*profile));
        } else if (!absl::IsNotFound(profile.status())) {
          return profile.status();
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Heartbeat(grpc::CallbackServerContext* ctx,
                                                       const bitsearch::v1::HeartbeatRequest* req,
                                                       bitsearch::v1::HeartbeatResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Heartbeat", {Role::kWorker},
                  [&]() -> absl::Status {
                    BS_RETURN_IF_ERROR(ValidateLeaseRef(req->lease()));
                    BS_ASSIGN_OR_RETURN(HeartbeatReply reply,
                                        sc_.store->Heartbeat(FromProto(req->lease()),
                                                             sc_.clock->NowMs(), sc_.lease_ms));
                    resp->set_cancel_requested(reply.cancel_requested);
                    resp->set_lease_expires_unix_ms(reply.lease_expires_ms);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::ReportProgress(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::ReportProgressRequest* req,
    bitsearch::v1::ReportProgressResponse* resp) {
  return RunUnary(
      sc_, ctx, "bitsearch.v1.WorkerService/ReportProgress", {Role::kWorker},
      [&]() -> absl::Status {
        BS_RETURN_IF_ERROR(ValidateLeaseRef(req->lease()));
        if (req->events_size() > sc_.limits.max_events_per_report) {
          return absl::InvalidArgumentError(absl::StrCat("events holds ", req->events_size(),
                                                         " events; the limit is ",
                                                         sc_.limits.max_events_per_report));
        }
        std::vector<bitsearch::v1::JobEvent> events(req->events().begin(), req->events().end());
        BS_ASSIGN_OR_RETURN(bool cancel, sc_.store->AppendWorkerEvents(
                                             FromProto(req->lease()), events, sc_.clock->NowMs()));
        for (const auto& e : events) {
          if (e.type() == bitsearch::v1::JobEvent::TYPE_PHASE_END && e.seconds() >= 0) {
            sc_.metrics->ObservePhase(e.phase(), e.seconds());
          }
        }
        sc_.hub->Notify(req->lease().job_id());
        resp->set_cancel_requested(cancel);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Complete(grpc::CallbackServerContext* ctx,
                                                      const bitsearch::v1::CompleteRequest* req,
                                                      bitsearch::v1::CompleteResponse*) {
  return RunUnary(
      sc_, ctx, "bitsearch.v1.WorkerService/Complete", {Role::kWorker}, [&]() -> absl::Status {
        BS_RETURN_IF_ERROR(ValidateLeaseRef(req->lease()));
        if (static_cast<int64_t>(req->result_json().size()) > sc_.limits.max_result_bytes) {
          return absl::InvalidArgumentError(absl::StrCat("result_json is ", req->result_json().size(),
                                                         " bytes; the limit is ",
                                                         sc_.limits.max_result_bytes));
        }
        if (!nlohmann::json::accept(req->result_json())) {
          return absl::InvalidArgumentError("result_json is not valid JSON");
        }
        BS_RETURN_IF_ERROR(ValidateExportFiles(req->export_files(), sc_.limits.max_model_bytes));
        // The files go first, under this attempt's own name: a refused completion removes only
        // them, and an accepted one never points at files that are not there yet.
        std::string export_blob;
        if (req->export_files_size() > 0) {
          BS_RETURN_IF_ERROR(sc_.store->CheckLease(FromProto(req->lease())).status());
          BS_ASSIGN_OR_RETURN(export_blob,
                              StoreExportFiles(*sc_.blobs, req->lease().job_id(),
                                               static_cast<int>(req->lease().attempt()),
                                               req->export_files()));
        }
        absl::StatusOr<JobRecord> completed = sc_.store->Complete(
            FromProto(req->lease()), req->result_json(), sc_.clock->NowMs());
        if (!completed.ok()) {
          if (!export_blob.empty()) (void)sc_.blobs->Remove(export_blob);
          return completed.status();
        }
        const JobRecord& job = *completed;
        if (!job.checkpoint_blob.empty()) (void)sc_.blobs->Remove(job.checkpoint_blob);
        JobFinished(job);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Fail(grpc::CallbackServerContext* ctx,
                                                  const bitsearch::v1::FailRequest* req,
                                                  bitsearch::v1::FailResponse*) {
  return RunUnary(sc_, ctx, "bitsearch.v1.WorkerService/Fail", {Role::kWorker},
                  [&]() -> absl::Status {
                    BS_RETURN_IF_ERROR(ValidateLeaseRef(req->lease()));
                    std::string error = req->error().substr(0, kMaxErrorBytes);
                    if (error.empty()) error = req->cancelled() ? "cancelled" : "worker failed";
                    BS_ASSIGN_OR_RETURN(JobRecord job,
                                        sc_.store->Fail(FromProto(req->lease()), error,
                                                        req->cancelled(), sc_.clock->NowMs()));
                    JobFinished(job);
                    return absl::OkStatus();
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
