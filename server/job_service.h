// bitsearch.v1.JobService on the gRPC callback API: submit, get, list, cancel, result
// (job_service.cc), the WatchJob stream (watch_job.cc) and sweeps (job_service_sweeps.cc).
//
// Handlers convert messages and call the JobManager (job_manager.h), nothing more.
// Thread-safety: handlers run concurrently on gRPC threads; state lives in the JobManager.
#ifndef BITSEARCH_SERVER_JOB_SERVICE_H_
#define BITSEARCH_SERVER_JOB_SERVICE_H_

#include "bitsearch/v1/jobs.grpc.pb.h"
#include "server/rpc_context.h"

namespace bitsearch::server {

class JobServiceImpl final : public bitsearch::v1::JobService::CallbackService {
 public:
  explicit JobServiceImpl(const ServiceContext& context) : sc_(context) {}

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* ctx,
                                      const bitsearch::v1::SubmitJobRequest* request,
                                      bitsearch::v1::SubmitJobResponse* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx,
                                   const bitsearch::v1::GetJobRequest* request,
                                   bitsearch::v1::Job* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx,
                                     const bitsearch::v1::ListJobsRequest* request,
                                     bitsearch::v1::ListJobsResponse* response) override;
  grpc::ServerWriteReactor<bitsearch::v1::JobEvent>* WatchJob(
      grpc::CallbackServerContext* ctx, const bitsearch::v1::WatchJobRequest* request) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* ctx,
                                      const bitsearch::v1::CancelJobRequest* request,
                                      bitsearch::v1::Job* response) override;
  grpc::ServerUnaryReactor* GetResult(grpc::CallbackServerContext* ctx,
                                      const bitsearch::v1::GetResultRequest* request,
                                      bitsearch::v1::GetResultResponse* response) override;
  // Sweeps (job_service_sweeps.cc).
  grpc::ServerUnaryReactor* SubmitSweep(grpc::CallbackServerContext* ctx,
                                        const bitsearch::v1::SubmitSweepRequest* request,
                                        bitsearch::v1::SubmitSweepResponse* response) override;
  grpc::ServerUnaryReactor* GetSweep(grpc::CallbackServerContext* ctx,
                                     const bitsearch::v1::GetSweepRequest* request,
                                     bitsearch::v1::Sweep* response) override;
  grpc::ServerUnaryReactor* ListSweeps(grpc::CallbackServerContext* ctx,
                                       const bitsearch::v1::ListSweepsRequest* request,
                                       bitsearch::v1::ListSweepsResponse* response) override;
  grpc::ServerUnaryReactor* CancelSweep(grpc::CallbackServerContext* ctx,
                                        const bitsearch::v1::CancelSweepRequest* request,
                                        bitsearch::v1::Sweep* response) override;
  grpc::ServerUnaryReactor* GetSweepResult(grpc::CallbackServerContext* ctx,
                                           const bitsearch::v1::GetSweepResultRequest* request,
                                           bitsearch::v1::GetSweepResultResponse* response) override;

 private:
  const ServiceContext& sc_;
};

// Creates the reactor that serves one WatchJob call (watch_job.cc).
grpc::ServerWriteReactor<bitsearch::v1::JobEvent>* StartWatchJob(
    const ServiceContext& sc, grpc::CallbackServerContext* ctx,
    const bitsearch::v1::WatchJobRequest& request);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_JOB_SERVICE_H_
