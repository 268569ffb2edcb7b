// bitsearch.v1.JobService on the gRPC callback API: submit, get, list, cancel, result
// (job_service.cc) and the WatchJob stream (watch_job.cc).
//
// Thread-safety: handlers run concurrently on gRPC threads; state lives in the injected store.
#ifndef BITSEARCH_SERVER_JOB_SERVICE_H_
#define BITSEARCH_SERVER_JOB_SERVICE_H_

#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "bitsearch/v1/jobs.grpc.pb.h"
#include "server/rpc_context.h"

namespace bitsearch::server {

class JobServiceImpl final : public bitsearch::v1::JobService::CallbackService {
 public:
  explicit JobServiceImpl(const ServiceContext& context);

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

 private:
  absl::Status Submit(const bitsearch::v1::SubmitJobRequest& request,
                      bitsearch::v1::SubmitJobResponse* response);
  std::string NewJobId();

  const ServiceContext& sc_;
  absl::Mutex id_mu_;
  std::mt19937_64 id_rng_ ABSL_GUARDED_BY(id_mu_);
};

// Creates the reactor that serves one WatchJob call (watch_job.cc).
grpc::ServerWriteReactor<bitsearch::v1::JobEvent>* StartWatchJob(
    const ServiceContext& sc, grpc::CallbackServerContext* ctx,
    const bitsearch::v1::WatchJobRequest& request);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_JOB_SERVICE_H_
