#include "workers/worker_metrics.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>

#include <chrono>
#include <exception>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace bitsearch {
namespace {

// Every value the `phase` label can take; the series exist from the start (at 0) so that
// dashboards and rate() see them before the first job.
constexpr const char* kPhaseLabels[] = {kPhasePretrain, kPhaseSearch,   kPhaseRefine,
                                        kPhaseAdaRound, kPhaseFinetune, kPhaseEvaluate,
                                        "baseline",     "other"};
constexpr const char* kOutcomes[] = {"succeeded", "failed", "cancelled"};

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string WorkerMetrics::PhaseLabel(const std::string& phase) {
  for (const char* known : {kPhasePretrain, kPhaseSearch, kPhaseRefine, kPhaseAdaRound,
                            kPhaseFinetune, kPhaseEvaluate}) {
    if (phase == known) return phase;
  }
  if (phase.rfind("baseline", 0) == 0) return "baseline";
  return "other";
}

WorkerMetrics::WorkerMetrics(prometheus::Registry& registry, const std::string& worker_id)
    : steps_(prometheus::BuildCounter()
                 .Name("bitsearch_worker_steps_total")
                 .Help("Optimizer steps done by this worker, by pipeline phase")
                 .Register(registry)),
      phase_(prometheus::BuildGauge()
                 .Name("bitsearch_worker_phase")
                 .Help("1 for the phase the current job is in, 0 for the others")
                 .Register(registry)),
      jobs_(prometheus::BuildCounter()
                .Name("bitsearch_worker_jobs_total")
                .Help("Jobs this worker ran to the end, by outcome of the pipeline")
                .Register(registry)),
      progress_ratio_(prometheus::BuildGauge()
                          .Name("bitsearch_worker_phase_progress_ratio")
                          .Help("Steps done over steps planned in the current phase (0..1)")
                          .Register(registry)
                          .Add({})),
      busy_(prometheus::BuildGauge()
                .Name("bitsearch_worker_busy")
                .Help("1 while a leased job runs, else 0")
                .Register(registry)
                .Add({})),
      job_start_(prometheus::BuildGauge()
                     .Name("bitsearch_worker_job_start_time_seconds")
                     .Help("Unix time the current job started on this worker; 0 when idle")
                     .Register(registry)
                     .Add({})) {
  prometheus::BuildGauge()
      .Name("bitsearch_worker_info")
      .Help("Constant 1; labels identify the worker")
      .Register(registry)
      .Add({{"worker_id", worker_id}})
      .Set(1);
  for (const char* p : kPhaseLabels) {
    steps_.Add({{"phase", p}});
    phase_.Add({{"phase", p}}).Set(0);
  }
  for (const char* o : kOutcomes) jobs_.Add({{"outcome", o}});
}

void WorkerMetrics::JobStarted() {
  {
    absl::MutexLock lock(&mu_);
    last_step_.clear();
  }
  busy_.Set(1);
  job_start_.Set(UnixNow());
  progress_ratio_.Set(0);
}

void WorkerMetrics::JobFinished(const absl::Status& status) {
  const char* outcome = status.ok()                                    ? "succeeded"
                        : status.code() == absl::StatusCode::kCancelled ? "cancelled"
                                                                        : "failed";
  jobs_.Add({{"outcome", outcome}}).Increment();
  for (const char* p : kPhaseLabels) phase_.Add({{"phase", p}}).Set(0);
  busy_.Set(0);
  job_start_.Set(0);
  progress_ratio_.Set(0);
}

void WorkerMetrics::PhaseStarted(const std::string& phase) {
  const std::string label = PhaseLabel(phase);
  for (const char* p : kPhaseLabels) phase_.Add({{"phase", p}}).Set(label == p ? 1 : 0);
  progress_ratio_.Set(0);
}

void WorkerMetrics::ObserveProgress(const Progress& p) {
  int64_t done = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = last_step_.find(p.phase);
    // The first sample of a phase counts from step 0 unless it was restored from a checkpoint
    // (those steps were done, and counted, by whichever worker ran them).
    int64_t previous = it != last_step_.end() ? it->second : (p.resumed ? p.step : 0);
    if (p.resumed) previous = p.step;
    if (p.step > previous) done = p.step - previous;
    last_step_[p.phase] = p.step;
  }
  if (done > 0) steps_.Add({{"phase", PhaseLabel(p.phase)}}).Increment(static_cast<double>(done));
  if (p.total_steps > 0) {
    progress_ratio_.Set(static_cast<double>(p.step) / static_cast<double>(p.total_steps));
  }
}

void WorkerMetrics::PhaseEnded(const std::string& phase) {
  phase_.Add({{"phase", PhaseLabel(phase)}}).Set(0);
}

absl::StatusOr<nlohmann::json> WorkerMetrics::RunMetered(
    JobObserver* observer,
    const std::function<absl::StatusOr<nlohmann::json>(JobObserver*)>& run) {
  MetricsObserver metered(observer, this);
  JobStarted();
  absl::StatusOr<nlohmann::json> result;
  try {
    result = run(&metered);
  } catch (const std::exception& e) {
    JobFinished(absl::InternalError(e.what()));
    throw;
  }
  JobFinished(result.status());
  return result;
}

absl::StatusOr<std::unique_ptr<WorkerMetricsEndpoint>> WorkerMetricsEndpoint::Start(
    const std::string& address, const std::string& worker_id) {
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics ", address, ": expected HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::unique_ptr<WorkerMetricsEndpoint> e(new WorkerMetricsEndpoint());
  e->registry_ = std::make_shared<prometheus::Registry>();
  e->metrics_ = std::make_unique<WorkerMetrics>(*e->registry_, worker_id);
  e->http_ = std::make_unique<httplib::Server>();
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would let two workers on
  // one host share a metrics port silently.
  e->http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  std::weak_ptr<prometheus::Registry> registry = e->registry_;
  e->http_->Get("/metrics", [registry](const httplib::Request&, httplib::Response& res) {
    auto r = registry.lock();
    if (!r) {
      res.status = 503;
      return;
    }
    res.set_content(prometheus::TextSerializer().Serialize(r->Collect()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  e->port_ = port == 0 ? e->http_->bind_to_any_port(host)
                       : (e->http_->bind_to_port(host, port) ? port : -1);
  if (e->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": address in use or invalid"));
  }
  httplib::Server* http = e->http_.get();
  e->thread_ = std::thread([http] { http->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs: wait for it (bounded) so that the destructor
  // can always end the thread.
  for (int i = 0; i < 5000 && !http->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return e;
}

WorkerMetricsEndpoint::~WorkerMetricsEndpoint() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsObserver::OnPhaseStart(const std::string& phase, int64_t total_steps) {
  metrics_->PhaseStarted(phase);
  inner_->OnPhaseStart(phase, total_steps);
}

void MetricsObserver::OnProgress(const Progress& progress) {
  metrics_->ObserveProgress(progress);
  inner_->OnProgress(progress);
}

void MetricsObserver::OnPhaseEnd(const std::string& phase, double seconds,
                                 const std::string& summary) {
  metrics_->PhaseEnded(phase);
  inner_->OnPhaseEnd(phase, seconds, summary);
}

}  // namespace bitsearch
