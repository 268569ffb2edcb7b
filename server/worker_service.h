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

class WorkerServiceImpl final : public bitsearch::v1::WorkerService::CallbackService {
 public:
  explicit WorkerServiceImpl(const ServiceContext& context) : sc_(context) {}

  grpc::ServerUnaryReactor* Lease(grpc::CallbackServerContext* ctx,
                                  const bitsearch::v1::LeaseRequest* request,
                                  bitsearch::v1::LeaseResponse* response) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx,
                                      const bitsearch::v1::HeartbeatRequest* request,
                                      bitsearch::v1::HeartbeatResponse* response) override;
  grpc::ServerUnaryReactor* ReportProgress(grpc::CallbackServerContext* ctx,
                                           const bitsearch::v1::ReportProgressRequest* request,
                                           bitsearch::v1::ReportProgressResponse* response) override;
  grpc::ServerReadReactor<bitsearch::v1::CheckpointChunk>* UploadCheckpoint(
      grpc::CallbackServerContext* ctx, bitsearch::v1::UploadCheckpointResponse* response) override;
  grpc::ServerWriteReactor<bitsearch::v1::CheckpointChunk>* DownloadCheckpoint(
      grpc::CallbackServerContext* ctx,
      const bitsearch::v1::DownloadCheckpointRequest* request) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* ctx,
                                     const bitsearch::v1::CompleteRequest* request,
                                     bitsearch::v1::CompleteResponse* response) override;
  grpc::ServerUnaryReactor* Fail(grpc::CallbackServerContext* ctx,
                                 const bitsearch::v1::FailRequest* request,
                                 bitsearch::v1::FailResponse* response) override;

 private:
  const ServiceContext& sc_;
};

grpc::ServerReadReactor<bitsearch::v1::CheckpointChunk>* StartUploadCheckpoint(
    const ServiceContext& sc, grpc::CallbackServerContext* ctx,
    bitsearch::v1::UploadCheckpointResponse* response);
grpc::ServerWriteReactor<bitsearch::v1::CheckpointChunk>* StartDownloadCheckpoint(
    const ServiceContext& sc, grpc::CallbackServerContext* ctx,
    const bitsearch::v1::DownloadCheckpointRequest& request);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_WORKER_SERVICE_H_
