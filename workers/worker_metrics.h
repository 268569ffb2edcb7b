// Prometheus metrics of one bitsearch-worker process (deploy/ dashboards and alerts read them):
// steps done per phase (Prometheus rate()s the counter into steps per second), the current phase,
// progress within it, whether a job runs and since when, and jobs by outcome. Names are prefixed
// bitsearch_worker_, units as suffixes. Labels stay bounded: `phase` is one of the pipeline's
// phase names (anything else is reported as "other") and `outcome` one of three values; there is
// no job id label, because every job would leave a new series behind in Prometheus (the job id is
// in the worker's log and on the server).
//
// MetricsObserver is a JobObserver decorator: the worker wraps the observer it hands the pipeline
// with it, so neither the pipeline nor the progress RPCs know about metrics.
//
// Thread-safety: WorkerMetrics may be called from any thread (prometheus-cpp locks inside;
// per-phase bookkeeping is under a mutex). A MetricsObserver belongs to the job's thread, like the
// observer it wraps.
#ifndef BITSEARCH_WORKERS_WORKER_METRICS_H_
#define BITSEARCH_WORKERS_WORKER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "search/observer.h"

namespace httplib {
class Server;
}

namespace bitsearch {

class WorkerMetrics {
 public:
  // Registers the families in `registry` (which must outlive this object); `worker_id` becomes
  // the one label of bitsearch_worker_info.
  WorkerMetrics(prometheus::Registry& registry, const std::string& worker_id);

  // A leased job starts running: busy = 1, job start time = now.
  void JobStarted();
  // The pipeline returned: counts the outcome (OK = succeeded, CANCELLED = cancelled, else failed)
  // and clears the busy and phase gauges.
  void JobFinished(const absl::Status& status);
  // A phase begins: it becomes the current phase, its progress ratio restarts at 0.
  void PhaseStarted(const std::string& phase);
  // A progress sample: the steps done since the previous sample of the same phase are counted.
  // A resumed sample (restored from a checkpoint) sets the baseline without counting.
  void ObserveProgress(const Progress& progress);
  // A phase ended: it is no longer current.
  void PhaseEnded(const std::string& phase);

  // Runs one job through `run` with `observer` decorated by a MetricsObserver, between
  // JobStarted() and JobFinished() (also when `run` throws; the exception propagates).
  absl::StatusOr<nlohmann::json> RunMetered(
      JobObserver* observer,
      const std::function<absl::StatusOr<nlohmann::json>(JobObserver*)>& run);

  // The bounded label value for a pipeline phase name ("baseline:w8a8" -> "baseline").
  static std::string PhaseLabel(const std::string& phase);

 private:
  prometheus::Family<prometheus::Counter>& steps_;
  prometheus::Family<prometheus::Gauge>& phase_;
  prometheus::Family<prometheus::Counter>& jobs_;
  prometheus::Gauge& progress_ratio_;
  prometheus::Gauge& busy_;
  prometheus::Gauge& job_start_;
  absl::Mutex mu_;
  std::map<std::string, int64_t> last_step_ ABSL_GUARDED_BY(mu_);  // per raw phase name
};

// Forwards every call to `inner` and records it in `metrics`. Both must outlive the decorator.
class MetricsObserver : public JobObserver {
 public:
  MetricsObserver(JobObserver* inner, WorkerMetrics* metrics) : inner_(inner), metrics_(metrics) {}

  void OnPhaseStart(const std::string& phase, int64_t total_steps) override;
  void OnProgress(const Progress& progress) override;
  void OnPhaseEnd(const std::string& phase, double seconds, const std::string& summary) override;
  void OnLog(const std::string& line) override { inner_->OnLog(line); }
  bool CancelRequested() override { return inner_->CancelRequested(); }

 private:
  JobObserver* inner_;
  WorkerMetrics* metrics_;
};

// The worker's Prometheus endpoint (bitsearch-worker --metrics HOST:PORT): a registry, the
// WorkerMetrics in it and an HTTP server answering GET /metrics, alive together until destroyed.
// It is cpp-httplib and not prometheus-cpp's Exposer: civetweb (under the Exposer) starts its
// threads with a fixed 100 KiB stack, and in a process that loads LibTorch glibc refuses such
// threads (EINVAL: the static TLS of the loaded libraries does not fit).
class WorkerMetricsEndpoint {
 public:
  // Binds `address` (port 0 picks a free port); an error names the address.
  static absl::StatusOr<std::unique_ptr<WorkerMetricsEndpoint>> Start(const std::string& address,
                                                                       const std::string& worker_id);
  ~WorkerMetricsEndpoint();

  WorkerMetrics& metrics() { return *metrics_; }
  // The port the exposer listens on.
  int port() const { return port_; }

 private:
  WorkerMetricsEndpoint() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<WorkerMetrics> metrics_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;  // runs the HTTP server's accept loop
  int port_ = 0;
};

}  // namespace bitsearch

#endif  // BITSEARCH_WORKERS_WORKER_METRICS_H_
