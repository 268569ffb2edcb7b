// bitsearch.v1.WorkerService on the gRPC callback API: leases, heartbeats, progress, completion
// (worker_service.cc) and chunked checkpoint transfer (checkpoint_transfer.cc). Worker tokens only.
//
// Handlers convert messages and call the JobManager (job_manager.h), nothing more.
// Thread-safety: handlers run concurrently on gRPC threads; state lives in the JobManager.
#ifndef BITSEARCH_SERVER_WORKER_SERVICE_H_
#define BITSEARCH_SERVER_WORKER_SERVICE_H_

#include "bitsearch/v1/worker.grpc.pb.h"
#include "server/rpc_context.h"

namespace bitsearch::server {

using CheckpointReader = grpc::ServerReadReactor<v1::CheckpointChunk>;
using CheckpointWriter = grpc::ServerWriteReactor<v1::CheckpointChunk>;

class WorkerServiceImpl final : public ServiceImpl<v1::WorkerService::CallbackService> {
 public:
  using ServiceImpl::ServiceImpl;

  Unary* Lease(Ctx* ctx, const v1::LeaseRequest* req, v1::LeaseResponse* resp) override;
  Unary* Heartbeat(Ctx* ctx, const v1::HeartbeatRequest* req, v1::HeartbeatResponse* resp) override;
  Unary* ReportProgress(Ctx* ctx, const v1::ReportProgressRequest* req,
                        v1::ReportProgressResponse* resp) override;
  CheckpointReader* UploadCheckpoint(Ctx* ctx, v1::UploadCheckpointResponse* resp) override;
  CheckpointWriter* DownloadCheckpoint(Ctx* ctx, const v1::DownloadCheckpointRequest* req) override;
  Unary* Complete(Ctx* ctx, const v1::CompleteRequest* req, v1::CompleteResponse* resp) override;
  Unary* Fail(Ctx* ctx, const v1::FailRequest* req, v1::FailResponse* resp) override;
};

// The reactors of the two checkpoint streams (checkpoint_transfer.cc).
CheckpointReader* StartUploadCheckpoint(const ServiceContext& sc, Ctx* ctx,
                                        v1::UploadCheckpointResponse* response);
CheckpointWriter* StartDownloadCheckpoint(const ServiceContext& sc, Ctx* ctx,
                                          const v1::DownloadCheckpointRequest& request);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_WORKER_SERVICE_H_
