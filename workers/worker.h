// The bitsearch worker: a gRPC client of WorkerService that leases a job, runs it through a
// JobFn (the LibTorch pipeline in bitsearch-worker, a fake in tests), streams progress, keeps the
// lease alive with heartbeats, uploads checkpoints, and completes or fails the job. While the
// server is unreachable it retries with backoff; a cancelled job stops at the next heartbeat.
//
// This file is torch-free on purpose: worker_main.cc plugs in the pipeline.
// Thread-safety: Run() on one thread; Stop() from any thread (not from a signal handler).
#ifndef BITSEARCH_WORKERS_WORKER_H_
#define BITSEARCH_WORKERS_WORKER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bitsearch/v1/worker.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "search/observer.h"
#include "search/spec.h"
#include "workers/dataset_fetcher.h"
#include "workers/job_memory.h"

namespace bitsearch {

// What the worker learns about a model file before running a job on it (worker_main.cc reads
// ONNX files); null = nothing, and the memory estimate uses its defaults.
using ModelInspector = std::function<absl::StatusOr<ModelFacts>(const std::string& onnx_path)>;

struct WorkerOptions {
  std::string server = "127.0.0.1:50051";   // HOST:PORT of bitsearch-server
  std::string token;                        // bearer token of role worker ("" = none)
  std::string tls_ca_file;                  // PEM roots; non-empty switches to TLS
  std::string tls_cert_file;                // PEM client certificate (mutual TLS), with the key
  std::string tls_key_file;
  // Folders whose files a job's spec may name (model.onnx, dataset.path); none = only uploaded
  // models and catalog data sets (job_inputs.h).
  std::vector<std::string> data_roots;
  int64_t max_input_file_bytes = int64_t{4} << 30;  // largest model or data file a job may open
  int64_t max_job_memory = 0;               // bytes a job may need (job_memory.h); 0 = 80% of RAM
  ModelInspector inspect_model;
  std::string worker_id;                    // "" = <hostname>-<pid>
  std::string data_dir = "bitsearch-worker-data";  // uploaded models land here, and the cache of
                                                   // uploaded data sets (datasets/<digest>/)
  double poll_seconds = 1.0;                // wait between empty leases
  double heartbeat_seconds = 0;             // 0 = a third of the server's lease period
  int progress_every_steps = 10;            // report progress at least once per this many steps
  double max_backoff_seconds = 10;          // retry backoff cap while the server is unreachable
  double give_up_seconds = 600;             // a final call (complete/fail) retries this long
  bool once = false;                        // exit after one job (tests, batch use)
  bool export_model = true;                 // export each finished job's model and send it
                                            // with the result (`bitsearch result JOB --export`)
  int64_t max_export_bytes = 60 << 20;      // larger exports stay behind (the job still succeeds)
};

// What a lease brings besides the spec, for the job function to run with.
struct LeasedInputs {
  std::string profile_json;  // the profile hardware.profile names when the server stores it
                             // (RunOptions::profile_json); "" = a built-in, resolved locally
  std::string export_dir;    // export the fine-tuned model here (RunOptions::export_dir); "" = none
  bool pretrain_only = false;    // a sweep's shared pretraining (RunOptions::pretrain_only): the
                                 // float model goes to export_dir and back to the server
  std::string pretrained_model;  // a sweep point: the float model of its shared pretraining
                                 // (RunOptions::pretrained_model); "" = pretrain as usual
};

// Runs one job to the end (the pipeline): result JSON, CANCELLED when the observer asked to stop.
using JobFn = std::function<absl::StatusOr<nlohmann::json>(
    const JobSpec& spec, const LeasedInputs& inputs, JobObserver* observer,
    CheckpointStore* checkpoints)>;

class Worker {
 public:
  Worker(WorkerOptions options, JobFn run_job);

  // Leases and runs jobs until Stop() (or one job with options.once). Returns an error only for
  // problems retrying cannot fix (bad token, permission denied, an unusable TLS file).
  absl::Status Run();
  // Finish the current job, then return from Run().
  void Stop();
  const std::string& worker_id() const { return options_.worker_id; }

 private:
  // Runs one leased job and reports its outcome.
  void RunLeased(const bitsearch::v1::LeaseResponse& lease);
  // Checks the job's inputs and memory need before anything is loaded; the error is the job's.
  absl::Status PrepareJob(const std::string& id, bool model_uploaded, JobSpec* spec) const;
  // Adds the files the job exported into `dir` to the completion (none when over the limit).
  void AttachExport(const std::string& id, const std::string& dir,
                    bitsearch::v1::CompleteRequest* req) const;
  // Fetches an uploaded data set (dataset.ref) into the cache, once, and points the spec at it.
  absl::Status PrepareData(JobSpec* spec);
  // Sleeps up to `seconds`, waking early on Stop(); false when stopping.
  bool SleepUnlessStopped(double seconds);

  WorkerOptions options_;
  JobFn run_job_;
  int64_t memory_budget_ = 0;
  absl::Status channel_status_;  // why no channel could be made (a TLS file), else OK
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<bitsearch::v1::WorkerService::Stub> stub_;
  std::unique_ptr<DatasetFetcher> datasets_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// Shared plumbing of the worker's files (worker_session.cc, worker.cc).
namespace worker_internal {

// Context with the bearer token and a deadline.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token, double deadline_s = 30);
// Transient failures worth retrying: the server is down, restarting or slow.
bool Transient(const grpc::Status& status);
// Calls `call` until it succeeds, fails for good, or `give_up_s` passed; backs off up to
// `max_backoff_s` between tries and logs the first failure of each streak.
grpc::Status WithRetry(const std::function<grpc::Status()>& call, const std::string& what,
                       double max_backoff_s, double give_up_s,
                       const std::function<bool()>& abandon = nullptr);
void Log(const std::string& line);

}  // namespace worker_internal

}  // namespace bitsearch

#endif  // BITSEARCH_WORKERS_WORKER_H_
