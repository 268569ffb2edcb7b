// The JobManager core without gRPC: a real SQLite store and blob folder in a temporary
// directory, a fake clock, and the rules the handlers rely on.
#include "server/job_manager.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/test_temp_dir.h"
#include "nlohmann/json.hpp"
#include "search/pretrain_key.h"
#include "server/sqlite_job_store.h"
#include "server/test_stores.h"

namespace bitsearch::server {
namespace {

namespace fs = std::filesystem;

constexpr char kSpec[] =
    R"({"model":"lenet5","dataset":{"name":"synthetic","synthetic_train":64,"synthetic_test":32}})";
constexpr char kOnnxSpec[] = R"({"model":{"onnx":"net.onnx"},"dataset":{"name":"synthetic","preprocess":"auto"}})";

class CountingListener : public EventListener {
 public:
  void OnJobChanged() override { ++calls; }
  int calls = 0;
};

class JobManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(JobManagerOptions{}); }
  void TearDown() override {
    manager_.reset();
    if (store_) (void)store_->Close();  // before dir_ goes
  }

  void Open(JobManagerOptions options) {
    manager_.reset();
    if (store_) (void)store_->Close();
    absl::Status opened = OpenTestStores(dir_.path(), &store_, &blobs_);
    ASSERT_TRUE(opened.ok()) << opened;
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<ServerMetrics>(*registry_);
    options.lease_ms = 10'000;
    options.max_attempts = 2;
    manager_ = std::make_unique<JobManager>(store_.get(), blobs_.get(), &hub_, metrics_.get(),
                                            &clock_, options);
  }

  JobRecord Submit(const Caller& caller = {}, const std::string& spec = kSpec,
                   const std::string& model = "") {
    auto out = manager_->Submit(caller, SubmitRequest{spec, "", model});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->job : JobRecord{};
  }
  LeasedJob LeaseOk(const std::string& worker = "w1") {
    auto leased = manager_->Lease(worker);
    EXPECT_TRUE(leased.ok() && leased->has_value());
    return **leased;
  }
  int Files(const std::string& folder) const {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_.Path("data/" + folder))) n += e.is_regular_file();
    return n;
  }

  TempDir dir_{"bitsearch-manager"};  // the same folder across Open() calls
  FakeClock clock_;
  EventHub hub_;
  std::unique_ptr<SqliteJobStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<JobManager> manager_;
};

TEST_F(JobManagerTest, SubmitStoresTheModelOnceAndRefusesWithoutLeavingAnything) {
  auto first = manager_->Submit({}, SubmitRequest{kOnnxSpec, "req-1", "model-bytes"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->deduplicated);
  EXPECT_EQ(Files("models"), 1);
  auto again = manager_->Submit({}, SubmitRequest{kOnnxSpec, "req-1", "model-bytes"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(again->job.id, first->job.id);
  EXPECT_EQ(Files("models"), 1);  // the duplicate's upload was removed

  auto bad = manager_->Submit({}, SubmitRequest{R"({"model":"lenet5","search":{"mu":-1}})", "", ""});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "search.mu")) << bad.status();
  auto stray = manager_->Submit({}, SubmitRequest{kSpec, "", "model-bytes"});
  EXPECT_EQ(stray.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Files("models"), 1);
  auto all = manager_->ListJobs({}, std::nullopt, "", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 1u);
}

TEST_F(JobManagerTest, CompleteStoresExportsUndoesThemWhenRefusedAndDropsTheCheckpoint) {
  JobRecord job = Submit();
  LeasedJob leased = LeaseOk();
  auto upload = manager_->BeginCheckpointUpload(leased.lease);
  ASSERT_TRUE(upload.ok()) << upload.status();
  ASSERT_TRUE((*upload)->Append("state").ok());
  ASSERT_TRUE((*upload)->End(5).ok());
  ASSERT_EQ(*(*upload)->Commit(), 5);
  EXPECT_EQ(Files("checkpoints"), 1);

  auto listener = std::make_shared<CountingListener>();
  hub_.Subscribe(job.id, listener);
  LeaseRef stale = leased.lease;
  stale.attempt = 7;
  std::vector<ExportedFile> files = {{"model.onnx", "bytes"}};
  EXPECT_EQ(manager_->Complete(stale, "{}", files).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Files("exports"), 0);  // the refused attempt's files are gone
  EXPECT_EQ(manager_->Complete(leased.lease, "[1,", files).code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(manager_->Complete(leased.lease, R"({"r":1})", files).ok());
  EXPECT_EQ(Files("exports"), 1);
  EXPECT_EQ(Files("checkpoints"), 0);  // a succeeded job is never resumed
  EXPECT_EQ(listener->calls, 1);
  auto result = manager_->GetResult({}, job.id, /*include_export=*/true);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->result_json, R"({"r":1})");
  ASSERT_EQ(result->export_files.size(), 1u);
  EXPECT_EQ(result->export_files[0].data, "bytes");
}

TEST_F(JobManagerTest, OwnershipLimitsClientsToTheirJobsAndAdminsSeeAll) {
  JobManagerOptions options;
  options.job_ownership = true;
  Open(options);
  Caller alice{Role::kClient, "token-a", false};
  Caller bob{Role::kClient, "token-b", false};
  Caller admin{Role::kClient, "token-root", true};
  JobRecord a = Submit(alice);
  JobRecord b = Submit(bob);
  EXPECT_EQ(a.owner, "token-a");
  EXPECT_TRUE(manager_->GetJob(alice, a.id).ok());
  EXPECT_EQ(manager_->GetJob(alice, b.id).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->CancelJob(alice, b.id).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->CheckWatch(alice, b.id, 0).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->GetResult(alice, b.id, false).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto mine = manager_->ListJobs(alice, std::nullopt, "", 0);
  ASSERT_EQ(mine->items.size(), 1u);
  EXPECT_EQ(mine->items[0].id, a.id);
  EXPECT_EQ(manager_->ListJobs(admin, std::nullopt, "", 0)->items.size(), 2u);
  EXPECT_TRUE(manager_->CancelJob(admin, b.id).ok());
  EXPECT_EQ(manager_->GetJob(bob, b.id)->state, JobState::kCancelled);
}

TEST_F(JobManagerTest, RetentionRemovesModelsAndCheckpointsOfFinishedJobsOnly) {
  JobManagerOptions options;
  options.retention_ms = 3'600'000;
  Open(options);
  JobRecord failed = Submit({}, kOnnxSpec, "m1");
  JobRecord running = Submit({}, kOnnxSpec, "m2");
  LeasedJob l1 = LeaseOk("w1");
  auto upload = manager_->BeginCheckpointUpload(l1.lease);
  ASSERT_TRUE((*upload)->Append("ckpt").ok());
  ASSERT_TRUE((*upload)->End(4).ok());
  ASSERT_TRUE((*upload)->Commit().ok());
  ASSERT_TRUE(manager_->Fail(l1.lease, "boom", false).ok());
  LeasedJob l2 = LeaseOk("w2");
  EXPECT_EQ(l2.job.id, running.id);
  EXPECT_EQ(Files("models"), 2);
  EXPECT_EQ(Files("checkpoints"), 1);  // kept for inspection after the failure

  clock_.AdvanceMs(3'599'000);
  EXPECT_EQ(*manager_->RemoveExpiredBlobs(), 0);
  clock_.AdvanceMs(2'000);
  EXPECT_EQ(*manager_->RemoveExpiredBlobs(), 1);
  EXPECT_EQ(Files("models"), 1);  // the running job keeps its model
  EXPECT_EQ(Files("checkpoints"), 0);
  EXPECT_EQ(manager_->GetJob({}, failed.id)->model_blob, "");
  EXPECT_FALSE(manager_->GetJob({}, running.id)->model_blob.empty());
  EXPECT_EQ(*manager_->RemoveExpiredBlobs(), 0);
}

TEST_F(JobManagerTest, AFullDiskDuringUploadIsResourceExhaustedWithoutServerPaths) {
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 64 << 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto out = manager_->Submit({}, SubmitRequest{kOnnxSpec, "", std::string(1 << 20, 'm')});
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  ASSERT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted) << out.status();
  EXPECT_TRUE(absl::StrContains(out.status().message(), "out of disk space")) << out.status();
  EXPECT_FALSE(absl::StrContains(out.status().message(), dir_.path())) << out.status();
  EXPECT_EQ(Files("models"), 0);
  EXPECT_TRUE(manager_->ListJobs({}, std::nullopt, "", 0)->items.empty());
}

TEST_F(JobManagerTest, JobsWhoseWorkersDieOnEveryAttemptFailAsKilled) {
  JobRecord job = Submit();
  LeaseOk("w1");
  clock_.AdvanceMs(10'001);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 1);
  LeaseOk("w2");
  clock_.AdvanceMs(10'001);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 1);
  auto failed = manager_->GetJob({}, job.id);
  EXPECT_EQ(failed->state, JobState::kFailed);
  EXPECT_TRUE(absl::StartsWith(failed->error, "worker killed (probably out of memory)"))
      << failed->error;
}

// ---- Sweeps ----------------------------------------------------------------------------------

constexpr char kSweepSpec[] =
    R"({"name":"sw","model":"lenet5","pretrain":{"epochs":1},)"
    R"("dataset":{"name":"synthetic","synthetic_train":64,"synthetic_test":32},)"
    R"("sweep":{"search.mu":[0.1,1]}})";

std::string PointResult(double accuracy, double bops) {
  return absl::StrCat(R"({"name":"p","accuracy":{"fp32":90,"final":)", accuracy,
                      R"(},"relative_bops_percent":)", bops, "}");
}

TEST_F(JobManagerTest, SweepPointsWaitForTheirSharedPretrainingAndStartFromItsModel) {
  auto out = manager_->SubmitSweep({}, SubmitSweepRequest{kSweepSpec, ""});
  ASSERT_TRUE(out.ok()) << out.status();
  const SweepInfo& sweep = out->sweep;
  ASSERT_EQ(sweep.pretrain_jobs.size(), 1u);
  ASSERT_EQ(sweep.points.size(), 2u);
  const std::string pretrain_id = sweep.pretrain_jobs[0].id;
  EXPECT_EQ(sweep.pretrain_jobs[0].kind, JobKind::kPretrain);
  for (const JobRecord& p : sweep.points) {
    EXPECT_EQ(p.depends_on, pretrain_id);
    EXPECT_EQ(p.sweep_id, sweep.sweep.id);
    EXPECT_EQ(p.kind, JobKind::kSearch);
  }
  EXPECT_EQ(sweep.points[0].settings_json, R"({"search.mu":0.1})");

  LeasedJob pre = LeaseOk("w1");
  EXPECT_EQ(pre.job.id, pretrain_id);
  EXPECT_TRUE(pre.pretrained_model.empty());
  auto blocked = manager_->Lease("w2");  // the points wait for the pretraining
  ASSERT_TRUE(blocked.ok());
  EXPECT_FALSE(blocked->has_value());
  EXPECT_EQ(manager_->GetSweepResult({}, sweep.sweep.id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(manager_->Complete(pre.lease, R"({"accuracy":{"fp32":90}})",
                                 {{kPretrainedModelFile, "float-model"}})
                  .ok());
  LeasedJob a = LeaseOk("w1");
  LeasedJob b = LeaseOk("w2");  // both points at once: they fan out
  EXPECT_EQ(a.pretrained_model, "float-model");
  EXPECT_EQ(b.pretrained_model, "float-model");
  EXPECT_EQ(manager_->GetSweep({}, sweep.sweep.id)->state, JobState::kRunning);
  ASSERT_TRUE(manager_->Complete(a.lease, PointResult(80, 10), {}).ok());
  ASSERT_TRUE(manager_->Complete(b.lease, PointResult(70, 20), {}).ok());  // dominated

  auto done = manager_->GetSweep({}, sweep.sweep.id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, JobState::kSucceeded);
  auto text = manager_->GetSweepResult({}, sweep.sweep.id);
  ASSERT_TRUE(text.ok()) << text.status();
  auto result = nlohmann::json::parse(*text);
  EXPECT_EQ(result["pretraining"]["runs"], 1);
  ASSERT_EQ(result["points"].size(), 2u);
  std::map<std::string, bool> pareto;
  for (const auto& p : result["points"]) pareto[p["job"].get<std::string>()] = p["pareto"];
  EXPECT_TRUE(pareto[a.job.id]);
  EXPECT_FALSE(pareto[b.job.id]);
  auto listed = manager_->ListSweeps({}, "", 0);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].state, JobState::kSucceeded);
}

TEST_F(JobManagerTest, AFailedPretrainingFailsEveryPointWithItsReason) {
  auto out = manager_->SubmitSweep({}, SubmitSweepRequest{kSweepSpec, ""});
  ASSERT_TRUE(out.ok()) << out.status();
  LeasedJob pre = LeaseOk("w1");
  ASSERT_TRUE(manager_->Fail(pre.lease, "dataset.path: no such folder", false).ok());
  auto sweep = manager_->GetSweep({}, out->sweep.sweep.id);
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->state, JobState::kFailed);
  EXPECT_EQ(sweep->error, "pretraining failed: dataset.path: no such folder");
  for (const JobRecord& p : sweep->points) {
    EXPECT_EQ(p.state, JobState::kFailed);
    EXPECT_TRUE(absl::StrContains(p.error, pre.job.id)) << p.error;
    EXPECT_TRUE(absl::StrContains(p.error, "dataset.path: no such folder")) << p.error;
  }
  EXPECT_FALSE(manager_->Lease("w2")->has_value());  // nothing left to run
}

TEST_F(JobManagerTest, CancelSweepCancelsItsRunningAndQueuedJobsOnce) {
  auto out = manager_->SubmitSweep({}, SubmitSweepRequest{kSweepSpec, ""});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string id = out->sweep.sweep.id;
  LeasedJob pre = LeaseOk("w1");
  auto cancelled = manager_->CancelSweep({}, id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  EXPECT_TRUE(cancelled->sweep.cancel_requested);
  for (const auto* jobs : {&cancelled->pretrain_jobs, &cancelled->points}) {
    for (const JobRecord& j : *jobs) EXPECT_EQ(j.state, JobState::kCancelled) << j.id;
  }
  auto beat = manager_->Heartbeat(pre.lease);  // the running pretraining's worker is told to stop
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_TRUE(beat->cancel_requested);
  EXPECT_FALSE(manager_->Lease("w2")->has_value());
  EXPECT_EQ(manager_->CancelSweep({}, id).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(JobManagerTest, SweepsAreValidatedDeduplicatedAndOwned) {
  auto plain = manager_->SubmitSweep({}, SubmitSweepRequest{kSpec, ""});
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(plain.status().message(), "no \"sweep\" block")) << plain.status();
  auto bad = manager_->SubmitSweep(
      {}, SubmitSweepRequest{R"({"model":"lenet5","sweep":{"search.mu":[0.1,-1]}})", ""});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "search.mu")) << bad.status();
  EXPECT_TRUE(manager_->ListJobs({}, std::nullopt, "", 0)->items.empty());  // nothing stored

  JobManagerOptions options;
  options.job_ownership = true;
  Open(options);
  Caller alice{Role::kClient, "token-a", false};
  Caller bob{Role::kClient, "token-b", false};
  auto first = manager_->SubmitSweep(alice, SubmitSweepRequest{kSweepSpec, "req-1"});
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = manager_->SubmitSweep(alice, SubmitSweepRequest{kSweepSpec, "req-1"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(again->sweep.sweep.id, first->sweep.sweep.id);
  EXPECT_EQ(manager_->ListJobs(alice, std::nullopt, "", 0)->items.size(), 3u);  // stored once
  const std::string id = first->sweep.sweep.id;
  EXPECT_EQ(manager_->GetSweep(bob, id).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->CancelSweep(bob, id).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(manager_->ListSweeps(bob, "", 0)->items.empty());
  EXPECT_EQ(manager_->ListSweeps(alice, "", 0)->items.size(), 1u);
}

}  // namespace
}  // namespace bitsearch::server
