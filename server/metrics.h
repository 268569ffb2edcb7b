// Prometheus metrics of the server (README.md, "Operating a bitsearch cluster"): names prefixed
// bitsearch_, units as suffixes. The registry is injected; server.cc exposes it over HTTP on
// --metrics.
//
// Thread-safety: all methods are safe to call from any thread (prometheus-cpp locks inside).
#ifndef BITSEARCH_SERVER_METRICS_H_
#define BITSEARCH_SERVER_METRICS_H_

#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <string>

#include "server/job_records.h"

namespace bitsearch::server {

class ServerMetrics {
 public:
  explicit ServerMetrics(prometheus::Registry& registry);

  // One finished RPC: bitsearch_rpc_total{method,code} and bitsearch_rpc_duration_seconds{method}.
  void ObserveRpc(const std::string& method, grpc::StatusCode code, double seconds);
  // bitsearch_job_submissions_total{outcome="accepted"|"deduplicated"|"rejected"}.
  void CountSubmission(const std::string& outcome);
  // A job reached a terminal state `seconds` after it was first leased (or created).
  void ObserveJobFinished(JobState state, double seconds);
  void ObservePhase(const std::string& phase, double seconds);
  void ObserveQueueWait(double seconds);
  void CountLease(bool resumed);
  void SetJobsByState(const std::map<JobState, int64_t>& counts);
  void SetConnectedWorkers(int64_t workers);

 private:
  prometheus::Family<prometheus::Counter>& rpc_total_;
  prometheus::Family<prometheus::Histogram>& rpc_duration_;
  prometheus::Family<prometheus::Counter>& submissions_;
  prometheus::Family<prometheus::Histogram>& job_duration_;
  prometheus::Family<prometheus::Histogram>& phase_duration_;
  prometheus::Histogram& queue_wait_;
  prometheus::Family<prometheus::Counter>& leases_;
  prometheus::Family<prometheus::Gauge>& jobs_;
  prometheus::Gauge& connected_workers_;
};

// gRPC code name ("OK", "NOT_FOUND", ...), for labels and messages.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_METRICS_H_
