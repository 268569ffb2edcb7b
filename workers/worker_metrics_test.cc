// WorkerMetrics and MetricsObserver against a real prometheus-cpp registry, read back through the
// text exposition format a scrape sees.
#include "workers/worker_metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <prometheus/text_serializer.h>

#include <string>
#include <vector>

namespace bitsearch {
namespace {

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// The value of the one sample line that starts with `series ` (name plus labels), or -1.
double Value(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return -1;
}

class RecordingObserver : public JobObserver {
 public:
  void OnPhaseStart(const std::string& phase, int64_t) override { calls.push_back("start " + phase); }
  void OnProgress(const Progress& p) override { calls.push_back("progress " + std::to_string(p.step)); }
  void OnPhaseEnd(const std::string& phase, double, const std::string&) override {
    calls.push_back("end " + phase);
  }
  void OnLog(const std::string& line) override { calls.push_back("log " + line); }
  bool CancelRequested() override { return cancel; }
  std::vector<std::string> calls;
  bool cancel = false;
};

Progress Sample(const std::string& phase, int64_t step, int64_t total, bool resumed = false) {
  Progress p;
  p.phase = phase;
  p.step = step;
  p.total_steps = total;
  p.epoch = 1;
  p.resumed = resumed;
  return p;
}

TEST(WorkerMetricsTest, IdleWorkerExportsEverySeriesAtZero) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, "w1");
  std::string text = Scrape(registry);
  EXPECT_EQ(Value(text, "bitsearch_worker_info{worker_id=\"w1\"}"), 1);
  EXPECT_EQ(Value(text, "bitsearch_worker_busy"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_steps_total{phase=\"search\"}"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_phase{phase=\"pretrain\"}"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_jobs_total{outcome=\"failed\"}"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_job_start_time_seconds"), 0);
}

TEST(WorkerMetricsTest, ObserverForwardsAndCountsStepsPhaseAndOutcome) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, "w1");
  RecordingObserver inner;
  MetricsObserver observer(&inner, &metrics);

  metrics.JobStarted();
  observer.OnPhaseStart("search", 100);
  observer.OnProgress(Sample("search", 10, 100));
  observer.OnProgress(Sample("search", 30, 100));
  std::string text = Scrape(registry);
  EXPECT_EQ(Value(text, "bitsearch_worker_busy"), 1);
  EXPECT_GT(Value(text, "bitsearch_worker_job_start_time_seconds"), 1.6e9);
  EXPECT_EQ(Value(text, "bitsearch_worker_phase{phase=\"search\"}"), 1);
  EXPECT_EQ(Value(text, "bitsearch_worker_phase{phase=\"pretrain\"}"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_steps_total{phase=\"search\"}"), 30);
  EXPECT_DOUBLE_EQ(Value(text, "bitsearch_worker_phase_progress_ratio"), 0.3);

  inner.cancel = true;
  EXPECT_TRUE(observer.CancelRequested());
  observer.OnLog("note");
  observer.OnPhaseEnd("search", 1.5, "done");
  observer.OnPhaseStart("baseline:w8a8", 20);
  observer.OnProgress(Sample("baseline:w8a8", 20, 20));
  text = Scrape(registry);
  EXPECT_EQ(Value(text, "bitsearch_worker_phase{phase=\"search\"}"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_phase{phase=\"baseline\"}"), 1);
  EXPECT_EQ(Value(text, "bitsearch_worker_steps_total{phase=\"baseline\"}"), 20);

  metrics.JobFinished(absl::CancelledError("stop"));
  text = Scrape(registry);
  EXPECT_EQ(Value(text, "bitsearch_worker_jobs_total{outcome=\"cancelled\"}"), 1);
  EXPECT_EQ(Value(text, "bitsearch_worker_busy"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_phase{phase=\"baseline\"}"), 0);
  EXPECT_EQ(Value(text, "bitsearch_worker_job_start_time_seconds"), 0);

  EXPECT_EQ(inner.calls, (std::vector<std::string>{"start search", "progress 10", "progress 30",
                                                   "log note", "end search",
                                                   "start baseline:w8a8", "progress 20"}));
}

TEST(WorkerMetricsTest, ResumedStepsAreNotCountedAgain) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, "w1");
  metrics.JobStarted();
  metrics.PhaseStarted("search");
  metrics.ObserveProgress(Sample("search", 400, 500, /*resumed=*/true));
  metrics.ObserveProgress(Sample("search", 410, 500));
  metrics.JobFinished(absl::OkStatus());
  metrics.JobStarted();
  metrics.ObserveProgress(Sample("pretrain", 5, 10));
  metrics.JobFinished(absl::InternalError("boom"));
  std::string text = Scrape(registry);
  EXPECT_EQ(Value(text, "bitsearch_worker_steps_total{phase=\"search\"}"), 10);
  EXPECT_EQ(Value(text, "bitsearch_worker_steps_total{phase=\"pretrain\"}"), 5);
  EXPECT_EQ(Value(text, "bitsearch_worker_jobs_total{outcome=\"succeeded\"}"), 1);
  EXPECT_EQ(Value(text, "bitsearch_worker_jobs_total{outcome=\"failed\"}"), 1);
}

TEST(WorkerMetricsTest, PhaseLabelsAreBounded) {
  EXPECT_EQ(WorkerMetrics::PhaseLabel("search"), "search");
  EXPECT_EQ(WorkerMetrics::PhaseLabel("baseline:w4a4"), "baseline");
  EXPECT_EQ(WorkerMetrics::PhaseLabel("something-new"), "other");
}

TEST(WorkerMetricsEndpointTest, ServesTheRegistryOverHttp) {
  auto endpoint = WorkerMetricsEndpoint::Start("127.0.0.1:0", "w9");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);
  (*endpoint)->metrics().JobStarted();
  httplib::Client client("127.0.0.1", (*endpoint)->port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Value(res->body, "bitsearch_worker_busy"), 1);
  EXPECT_EQ(Value(res->body, "bitsearch_worker_info{worker_id=\"w9\"}"), 1);
  EXPECT_EQ(client.Get("/other")->status, 404);

  // The port is taken now; a second endpoint on it fails with the address in the message.
  std::string taken = "127.0.0.1:" + std::to_string((*endpoint)->port());
  auto second = WorkerMetricsEndpoint::Start(taken, "w10");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(std::string(second.status().message()).find(taken), std::string::npos);
  EXPECT_FALSE(WorkerMetricsEndpoint::Start("no-port", "w").ok());
}

}  // namespace
}  // namespace bitsearch
