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

class JobServiceImpl final : public ServiceImpl<v1::JobService::CallbackService> {
 public:
  using ServiceImpl::ServiceImpl;

  Unary* SubmitJob(Ctx* ctx, const v1::SubmitJobRequest* req, v1::SubmitJobResponse* resp) override;
  Unary* GetJob(Ctx* ctx, const v1::GetJobRequest* req, v1::Job* resp) override;
  Unary* ListJobs(Ctx* ctx, const v1::ListJobsRequest* req, v1::ListJobsResponse* resp) override;
  grpc::ServerWriteReactor<v1::JobEvent>* WatchJob(Ctx* ctx,
                                                   const v1::WatchJobRequest* req) override;
  Unary* CancelJob(Ctx* ctx, const v1::CancelJobRequest* req, v1::Job* resp) override;
  Unary* GetResult(Ctx* ctx, const v1::GetResultRequest* req, v1::GetResultResponse* resp) override;
  // Sweeps (job_service_sweeps.cc).
  Unary* SubmitSweep(Ctx* ctx, const v1::SubmitSweepRequest* req,
                     v1::SubmitSweepResponse* resp) override;
  Unary* GetSweep(Ctx* ctx, const v1::GetSweepRequest* req, v1::Sweep* resp) override;
  Unary* ListSweeps(Ctx* ctx, const v1::ListSweepsRequest* req,
                    v1::ListSweepsResponse* resp) override;
  Unary* CancelSweep(Ctx* ctx, const v1::CancelSweepRequest* req, v1::Sweep* resp) override;
  Unary* GetSweepResult(Ctx* ctx, const v1::GetSweepResultRequest* req,
                        v1::GetSweepResultResponse* resp) override;
};

// The handlers whose request only names a job or sweep (GetJob, CancelJob, GetSweep, CancelSweep,
// GetSweepResult): `op`, the JobManager method, answers for that id and `reply` writes its answer
// into the response.
template <typename Record, typename Reply>
Unary* RunById(const ServiceContext& sc, Ctx* ctx, const char* method,
               absl::StatusOr<Record> (JobManager::*op)(const Caller&, const std::string&),
               const std::string& id, Reply&& reply) {
  return RunUnaryCall(sc, ctx, method, {Role::kClient},
                      [&](const Caller& caller) { return (sc.jobs->*op)(caller, id); },
                      std::forward<Reply>(reply));
}

// Creates the reactor that serves one WatchJob call (watch_job.cc).
grpc::ServerWriteReactor<v1::JobEvent>* StartWatchJob(const ServiceContext& sc, Ctx* ctx,
                                                      const v1::WatchJobRequest& request);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_JOB_SERVICE_H_
