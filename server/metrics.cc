#include "server/metrics.h"

namespace bitsearch::server {
namespace {

prometheus::Histogram::BucketBoundaries RpcBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
}

prometheus::Histogram::BucketBoundaries LongBuckets() {
  return {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600};
}

// Each metric's name and help text, in one table so that the constructor only pairs members with
// their kinds.
struct Metric {
  const char* name;
  const char* help;
};
constexpr Metric kRpcTotal{"bitsearch_rpc_total", "RPCs handled, by method and gRPC status code"};
constexpr Metric kRpcDuration{"bitsearch_rpc_duration_seconds",
                              "Server-side RPC latency by method"};
constexpr Metric kSubmissions{"bitsearch_job_submissions_total", "SubmitJob calls by outcome"};
constexpr Metric kJobDuration{"bitsearch_job_duration_seconds",
                              "Time from first lease to a terminal state, by final state"};
constexpr Metric kPhaseDuration{"bitsearch_phase_duration_seconds",
                                "Pipeline phase durations reported by workers, by phase"};
constexpr Metric kQueueWait{"bitsearch_queue_wait_seconds",
                            "Time a job waited in the queue before a lease"};
constexpr Metric kLeases{"bitsearch_leases_total",
                         "Leases handed to workers; resumed = a checkpoint existed"};
constexpr Metric kJobs{"bitsearch_jobs", "Jobs in the store by state"};
constexpr Metric kConnectedWorkers{"bitsearch_connected_workers",
                                   "Workers seen within the last lease period"};

// The family `metric` names, from prometheus-cpp's builder of its kind.
template <typename Builder>
auto& Register(Builder builder, const Metric& metric, prometheus::Registry& registry) {
  return builder.Name(metric.name).Help(metric.help).Register(registry);
}

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

ServerMetrics::ServerMetrics(prometheus::Registry& registry)
    : rpc_total_(Register(prometheus::BuildCounter(), kRpcTotal, registry)),
      rpc_duration_(Register(prometheus::BuildHistogram(), kRpcDuration, registry)),
      submissions_(Register(prometheus::BuildCounter(), kSubmissions, registry)),
      job_duration_(Register(prometheus::BuildHistogram(), kJobDuration, registry)),
      phase_duration_(Register(prometheus::BuildHistogram(), kPhaseDuration, registry)),
      queue_wait_(Register(prometheus::BuildHistogram(), kQueueWait, registry)
                      .Add({}, LongBuckets())),
      leases_(Register(prometheus::BuildCounter(), kLeases, registry)),
      jobs_(Register(prometheus::BuildGauge(), kJobs, registry)),
      connected_workers_(Register(prometheus::BuildGauge(), kConnectedWorkers, registry).Add({})) {}

void ServerMetrics::ObserveRpc(const std::string& method, grpc::StatusCode code, double seconds) {
  rpc_total_.Add({{"method", method}, {"code", GrpcCodeName(code)}}).Increment();
  rpc_duration_.Add({{"method", method}}, RpcBuckets()).Observe(seconds);
}

void ServerMetrics::CountSubmission(const std::string& outcome) {
  submissions_.Add({{"outcome", outcome}}).Increment();
}

void ServerMetrics::ObserveJobFinished(JobState state, double seconds) {
  job_duration_.Add({{"state", JobStateName(state)}}, LongBuckets()).Observe(seconds);
}

void ServerMetrics::ObservePhase(const std::string& phase, double seconds) {
  phase_duration_.Add({{"phase", phase}}, LongBuckets()).Observe(seconds);
}

void ServerMetrics::ObserveQueueWait(double seconds) { queue_wait_.Observe(seconds); }

void ServerMetrics::CountLease(bool resumed) {
  leases_.Add({{"resumed", resumed ? "true" : "false"}}).Increment();
}

void ServerMetrics::SetJobsByState(const std::map<JobState, int64_t>& counts) {
  for (const auto& [state, n] : counts) {
    jobs_.Add({{"state", JobStateName(state)}}).Set(static_cast<double>(n));
  }
}

void ServerMetrics::SetConnectedWorkers(int64_t workers) {
  connected_workers_.Set(static_cast<double>(workers));
}

}  // namespace bitsearch::server
