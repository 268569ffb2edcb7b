// The worker process logic against a real in-process server, with a fake job function standing
// in for the LibTorch pipeline: progress reaches the server, cancellation stops the job within
// seconds, a re-leased job resumes from the checkpoint the first worker uploaded, and the worker
// rides out a server that is down.
#include "workers/worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/sha256.h"
#include "bitsearch/v1/datasets.grpc.pb.h"
#include "search/pretrain_key.h"
#include "server/reaper.h"
#include "server/test_server.h"

namespace bitsearch {
namespace {

using server::testing::Ctx;
using server::testing::SubmitOk;
using server::testing::TestServer;

WorkerOptions Options(TestServer& ts, const std::string& id) {
  WorkerOptions o;
  o.server = ts.address();
  o.worker_id = id;
  o.poll_seconds = 0.05;
  o.heartbeat_seconds = 0.2;
  o.progress_every_steps = 5;
  o.max_backoff_seconds = 0.5;
  o.give_up_seconds = 30;
  o.data_dir = ts.dir() + "/worker-" + id;
  return o;
}

bitsearch::v1::Job GetJob(TestServer& ts, const std::string& id) {
  bitsearch::v1::GetJobRequest req;
  req.set_job_id(id);
  bitsearch::v1::Job job;
  EXPECT_TRUE(ts.Jobs()->GetJob(Ctx().get(), req, &job).ok());
  return job;
}

bool WaitFor(const std::function<bool()>& done, double seconds = 20) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A fake pipeline: `steps` steps of one phase, a checkpoint every 10, stops when cancelled.
JobFn FakeJob(int steps, int step_ms, std::atomic<int>* started = nullptr) {
  return [=](const JobSpec& spec, const LeasedInputs&, JobObserver* obs, CheckpointStore* ckpt)
             -> absl::StatusOr<nlohmann::json> {
    if (started) ++*started;
    int first = 0;
    auto loaded = ckpt->Load();
    if (!loaded.ok()) return loaded.status();
    if (loaded->has_value()) first = std::stoi(**loaded);
    obs->OnPhaseStart("search", steps);
    for (int step = first + 1; step <= steps; ++step) {
      if (obs->CancelRequested()) {
        (void)ckpt->Save(std::to_string(step - 1));
        return absl::CancelledError("cancelled");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
      Progress p;
      p.phase = "search";
      p.epoch = 1;
      p.epochs = 1;
      p.step = step;
      p.total_steps = steps;
      p.resumed = step == first + 1 && first > 0;
      obs->OnProgress(p);
      if (step % 10 == 0) {
        absl::Status st = ckpt->Save(std::to_string(step));
        if (!st.ok()) return st;
      }
    }
    obs->OnPhaseEnd("search", 0.1, "done");
    return nlohmann::json{{"name", spec.name}, {"resumed_from", first}};
  };
}

TEST(WorkerTest, RunsAJobAndReportsProgress) {
  TestServer ts;
  std::string id = SubmitOk(*ts.Jobs());
  WorkerOptions o = Options(ts, "w1");
  o.once = true;
  Worker worker(o, FakeJob(30, 1));
  ASSERT_TRUE(worker.Run().ok());
  bitsearch::v1::Job job = GetJob(ts, id);
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.phase(), "search");
  bitsearch::v1::GetResultRequest req;
  req.set_job_id(id);
  bitsearch::v1::GetResultResponse result;
  ASSERT_TRUE(ts.Jobs()->GetResult(Ctx().get(), req, &result).ok());
  EXPECT_EQ(nlohmann::json::parse(result.result_json())["resumed_from"], 0);
  // Progress at steps 1, 6, 11, 16, 21, 26 (every 5) and 30 (the last).
  auto events = ts.server().store().ReadEvents(id, 0, 1000);
  ASSERT_TRUE(events.ok());
  int progress = 0;
  for (const auto& e : *events) progress += e.type == server::JobEvent::Type::kProgress;
  EXPECT_EQ(progress, 7);
  EXPECT_EQ(events->back().state, server::JobState::kSucceeded);
}

TEST(WorkerTest, CancelStopsTheJobWithinSecondsAndTheWorkerTakesTheNext) {
  TestServer ts;
  std::string first = SubmitOk(*ts.Jobs());
  std::atomic<int> started{0};
  Worker worker(Options(ts, "w1"), FakeJob(100000, 2, &started));
  std::thread run([&] { EXPECT_TRUE(worker.Run().ok()); });
  ASSERT_TRUE(WaitFor([&] { return started.load() == 1; }));
  std::string second = SubmitOk(*ts.Jobs());
  auto cancel_at = std::chrono::steady_clock::now();
  bitsearch::v1::CancelJobRequest cancel;
  cancel.set_job_id(first);
  bitsearch::v1::Job job;
  ASSERT_TRUE(ts.Jobs()->CancelJob(Ctx().get(), cancel, &job).ok());
  ASSERT_TRUE(WaitFor([&] { return started.load() == 2; }, 10)) << "worker never took job 2";
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - cancel_at).count();
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(GetJob(ts, first).state(), bitsearch::v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(GetJob(ts, second).worker_id(), "w1");
  cancel.set_job_id(second);
  ASSERT_TRUE(ts.Jobs()->CancelJob(Ctx().get(), cancel, &job).ok());
  worker.Stop();
  run.join();
}

TEST(WorkerTest, ReleasedJobResumesFromTheUploadedCheckpoint) {
  TestServer ts(/*auth=*/false, /*lease_seconds=*/30);
  std::string id = SubmitOk(*ts.Jobs());
  // Worker A checkpoints at steps 10..40, then goes silent (no heartbeats: a hung machine).
  WorkerOptions a_opts = Options(ts, "A");
  a_opts.heartbeat_seconds = 3600;
  a_opts.once = true;
  std::atomic<bool> a_checkpointed{false};
  JobFn a_job = [&](const JobSpec&, const LeasedInputs&, JobObserver* obs, CheckpointStore* ckpt)
      -> absl::StatusOr<nlohmann::json> {
    obs->OnPhaseStart("search", 100);
    EXPECT_TRUE(ckpt->Save("40").ok());
    a_checkpointed = true;
    while (!obs->CancelRequested()) {  // the lost lease surfaces as a stop request
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      obs->OnLog("still working");
    }
    return absl::CancelledError("stopped");
  };
  Worker a(a_opts, a_job);
  std::thread run_a([&] { EXPECT_TRUE(a.Run().ok()); });
  ASSERT_TRUE(WaitFor([&] { return a_checkpointed.load(); }));
  ts.clock().AdvanceMs(31'000);
  ASSERT_EQ(*ts.server().reaper().RunOnce(), 1);
  run_a.join();  // A notices its lease is gone and drops the job without reporting
  EXPECT_EQ(GetJob(ts, id).state(), bitsearch::v1::JOB_STATE_QUEUED);

  WorkerOptions b_opts = Options(ts, "B");
  b_opts.once = true;
  Worker b(b_opts, FakeJob(60, 1));
  ASSERT_TRUE(b.Run().ok());
  bitsearch::v1::Job job = GetJob(ts, id);
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.attempt(), 2);
  EXPECT_EQ(job.worker_id(), "B");
  bitsearch::v1::GetResultRequest req;
  req.set_job_id(id);
  bitsearch::v1::GetResultResponse result;
  ASSERT_TRUE(ts.Jobs()->GetResult(Ctx().get(), req, &result).ok());
  EXPECT_EQ(nlohmann::json::parse(result.result_json())["resumed_from"], 40);
  // The resumed step shows in the job's progress log.
  bool saw_resumed = false;
  auto events = ts.server().store().ReadEvents(id, 0, 1000);
  ASSERT_TRUE(events.ok());
  for (const auto& e : *events) {
    if (e.progress && e.progress->resumed) saw_resumed = e.progress->step == 41 && e.attempt == 2;
  }
  EXPECT_TRUE(saw_resumed);
}

TEST(WorkerTest, StoredProfileReachesTheJobWithTheLease) {
  TestServer ts;
  bitsearch::v1::PutProfileRequest put;
  put.mutable_profile()->set_name("my-board");
  put.mutable_profile()->set_format("csv");
  put.mutable_profile()->set_content(
      "type,groups,kernel_h,kernel_w,stride,padding,in_h,in_w,out_h,out_w,in_channels,"
      "out_channels,act_bits,weight_bits,latency\n"
      "conv,1,5,5,1,0,28,28,24,24,1,32,8,8,0.002\n");
  bitsearch::v1::Profile stored;
  ASSERT_TRUE(ts.Profiles()->PutProfile(Ctx().get(), put, &stored).ok());
  std::string with_board = SubmitOk(
      *ts.Jobs(), "",
      R"({"model":"lenet5","hardware":{"profile":"my-board"},"dataset":{"name":"synthetic"}})");
  std::string with_builtin = SubmitOk(*ts.Jobs());

  std::map<std::string, std::string> seen;  // job name -> profile_json
  WorkerOptions o = Options(ts, "w1");
  o.once = true;
  JobFn record = [&](const JobSpec& spec, const LeasedInputs& inputs, JobObserver*,
                     CheckpointStore*) -> absl::StatusOr<nlohmann::json> {
    seen[spec.hardware.profile] = inputs.profile_json;
    return nlohmann::json{{"ok", true}};
  };
  for (int i = 0; i < 2; ++i) {
    Worker worker(o, record);
    ASSERT_TRUE(worker.Run().ok());
  }
  EXPECT_EQ(GetJob(ts, with_board).state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(GetJob(ts, with_builtin).state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  ASSERT_EQ(seen.count("my-board"), 1u);
  nlohmann::json profile = nlohmann::json::parse(seen["my-board"]);
  EXPECT_EQ(profile["name"], "my-board");
  EXPECT_EQ(profile["kind"], "lut");
  EXPECT_EQ(profile["unit"], "seconds");
  ASSERT_EQ(seen.count("bops"), 1u);
  EXPECT_EQ(seen["bops"], "") << "a built-in is resolved by the worker itself";
}

// A sweep's shared pretraining runs pretrain-only and sends its float model back even from a
// worker that exports nothing else; its points get that model with their leases.
TEST(WorkerTest, ASharedPretrainingSendsItsFloatModelAndThePointsStartFromIt) {
  TestServer ts;
  bitsearch::v1::SubmitSweepRequest req;
  req.set_spec_json(
      R"({"name":"sw","model":"lenet5","dataset":{"name":"synthetic"},"sweep":{"search.mu":[0.1,1]}})");
  bitsearch::v1::SubmitSweepResponse resp;
  ASSERT_TRUE(ts.Jobs()->SubmitSweep(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.sweep().pretrain_jobs_size(), 1);

  WorkerOptions o = Options(ts, "w1");
  o.once = true;
  o.export_model = false;
  std::vector<std::pair<bool, std::string>> runs;  // pretrain_only, pretrained_model
  JobFn record = [&](const JobSpec&, const LeasedInputs& inputs, JobObserver*,
                     CheckpointStore*) -> absl::StatusOr<nlohmann::json> {
    runs.emplace_back(inputs.pretrain_only, inputs.pretrained_model);
    if (inputs.pretrain_only) {
      EXPECT_FALSE(inputs.export_dir.empty());
      std::filesystem::create_directories(inputs.export_dir);
      std::ofstream(inputs.export_dir + "/" + kPretrainedModelFile) << "float-model";
      return nlohmann::json{{"accuracy", {{"fp32", 90}}}};
    }
    EXPECT_TRUE(inputs.export_dir.empty()) << "the points export nothing here";
    return nlohmann::json{{"accuracy", {{"final", 80}}}};
  };
  for (int i = 0; i < 3; ++i) {
    Worker worker(o, record);
    ASSERT_TRUE(worker.Run().ok());
  }
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0], std::make_pair(true, std::string()));
  EXPECT_EQ(runs[1], std::make_pair(false, std::string("float-model")));
  EXPECT_EQ(runs[2], std::make_pair(false, std::string("float-model")));
  bitsearch::v1::GetSweepRequest get;
  get.set_sweep_id(resp.sweep().id());
  bitsearch::v1::Sweep sweep;
  ASSERT_TRUE(ts.Jobs()->GetSweep(Ctx().get(), get, &sweep).ok());
  EXPECT_EQ(sweep.state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
}

TEST(WorkerTest, RetriesWhileTheServerIsDown) {
  TestServer ts;
  std::string id = SubmitOk(*ts.Jobs());
  ts.options().listen = ts.address();  // come back on the same port
  WorkerOptions o = Options(ts, "w1");
  o.once = true;
  ts.Stop();
  Worker worker(o, FakeJob(10, 1));
  std::thread run([&] { EXPECT_TRUE(worker.Run().ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ts.Restart();
  run.join();
  EXPECT_EQ(GetJob(ts, id).state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
}

TEST(WorkerTest, WrongTokenIsAnError) {
  TestServer ts(/*auth=*/true);
  WorkerOptions o = Options(ts, "w1");
  o.token = server::testing::kClientToken;  // a client token may not lease
  Worker worker(o, FakeJob(1, 1));
  absl::Status st = worker.Run();
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  o.token = server::testing::kWorkerToken;
  o.once = true;
  std::string id = SubmitOk(*ts.Jobs(), server::testing::kClientToken);
  Worker good(o, FakeJob(5, 1));
  ASSERT_TRUE(good.Run().ok());
}

// Checked before the job function runs: a job that cannot fit the memory budget, or that names
// a file outside --data-root, fails with the reason and never starts.
TEST(WorkerTest, JobsThatCannotFitOrNameForbiddenFilesFailBeforeTheyStart) {
  TestServer ts;
  std::string big = SubmitOk(*ts.Jobs());
  std::string path_job = SubmitOk(
      *ts.Jobs(), "",
      R"({"model":{"onnx":"models/net.onnx"},"dataset":{"name":"synthetic","synthetic_train":64,)"
      R"("synthetic_test":16,"preprocess":"auto"}})");
  WorkerOptions o = Options(ts, "w1");
  o.max_job_memory = 64 << 20;  // below LibTorch's own footprint: nothing fits
  std::atomic<int> started{0};
  Worker worker(o, FakeJob(3, 1, &started));
  std::thread run([&] { (void)worker.Run(); });
  ASSERT_TRUE(WaitFor([&] {
    return GetJob(ts, big).state() == bitsearch::v1::JOB_STATE_FAILED &&
           GetJob(ts, path_job).state() == bitsearch::v1::JOB_STATE_FAILED;
  }));
  worker.Stop();
  run.join();
  EXPECT_EQ(started.load(), 0);
  EXPECT_TRUE(absl::StrContains(GetJob(ts, big).error(), "more than this worker's memory budget"))
      << GetJob(ts, big).error();
  EXPECT_TRUE(absl::StrContains(GetJob(ts, path_job).error(), "no --data-root"))
      << GetJob(ts, path_job).error();
}

// An uploaded model is scratch: the worker removes it once the job is over.
TEST(WorkerTest, UploadedModelIsRemovedAfterTheJob) {
  TestServer ts;
  bitsearch::v1::SubmitJobRequest req;
  req.set_spec_json(R"({"model":{"onnx":"net.onnx"},"dataset":{"name":"synthetic",)"
                    R"("synthetic_train":64,"synthetic_test":16,"preprocess":"auto"}})");
  req.set_onnx_model("model bytes");
  bitsearch::v1::SubmitJobResponse resp;
  ASSERT_TRUE(ts.Jobs()->SubmitJob(Ctx().get(), req, &resp).ok());
  WorkerOptions o = Options(ts, "w1");
  o.once = true;
  std::string seen_model;
  Worker worker(o, [&](const JobSpec& spec, const LeasedInputs& in, JobObserver* obs,
                       CheckpointStore* ckpt) {
    std::ifstream model(spec.model.onnx);
    std::getline(model, seen_model);
    return FakeJob(2, 1)(spec, in, obs, ckpt);
  });
  ASSERT_TRUE(worker.Run().ok());
  EXPECT_EQ(seen_model, "model bytes");
  EXPECT_EQ(GetJob(ts, resp.job().id()).state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(std::filesystem::is_empty(o.data_dir + "/models"));
}

// The worker verifies the server with --tls-ca-file and, where the server asks for mutual TLS,
// presents its own certificate; a CA file it cannot use is an error, never the default roots.
TEST(WorkerTest, TlsWithTheTestCaAndMutualTls) {
  TestServer ts(/*auth=*/true);
  server::testing::TestPki pki = server::testing::MakeTestPki(ts.dir() + "/pki");
  ts.EnableTls(pki, /*require_worker_cert=*/true);
  std::string id = SubmitOk(*ts.Jobs(), server::testing::kClientToken);
  WorkerOptions o = Options(ts, "w1");
  o.token = server::testing::kWorkerToken;
  o.tls_ca_file = pki.ca;
  o.once = true;
  Worker without_cert(o, FakeJob(3, 1));
  absl::Status st = without_cert.Run();
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  o.tls_cert_file = pki.worker_cert;
  o.tls_key_file = pki.worker_key;
  Worker worker(o, FakeJob(3, 1));
  ASSERT_TRUE(worker.Run().ok());
  bitsearch::v1::GetJobRequest req;
  req.set_job_id(id);
  bitsearch::v1::Job job;
  ASSERT_TRUE(ts.Jobs()->GetJob(Ctx(server::testing::kClientToken).get(), req, &job).ok());
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
}

TEST(WorkerTest, UnreadableOrInvalidTlsFilesAreErrors) {
  TestServer ts;
  std::string junk = ts.dir() + "/junk.pem";
  std::ofstream(junk) << "-----BEGIN CERTIFICATE-----\nno end line\n";
  WorkerOptions o = Options(ts, "w1");
  o.tls_ca_file = ts.dir() + "/missing-ca.pem";
  absl::Status missing = Worker(o, FakeJob(1, 1)).Run();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  EXPECT_TRUE(absl::StrContains(missing.message(), "--tls-ca-file")) << missing;
  o.tls_ca_file = junk;
  EXPECT_EQ(Worker(o, FakeJob(1, 1)).Run().code(), absl::StatusCode::kInvalidArgument);
  o.tls_ca_file = "";
  o.tls_cert_file = junk;
  EXPECT_EQ(Worker(o, FakeJob(1, 1)).Run().code(), absl::StatusCode::kInvalidArgument);
}

// An uploaded data set reaches the job as a local folder: downloaded and verified once, then
// served from the worker's cache.
TEST(WorkerTest, UploadedDataSetIsFetchedOnceThenCached) {
  TestServer ts;
  auto stub = bitsearch::v1::DatasetService::NewStub(ts.channel());
  const std::string bytes = "not really an archive, but the worker does not read it";
  const std::string chunk = Sha256Hex(bytes);
  {
    bitsearch::v1::UploadChunksResponse up;
    auto ctx = Ctx();
    auto writer = stub->UploadChunks(ctx.get(), &up);
    bitsearch::v1::DatasetChunk c;
    c.set_sha256(chunk);
    c.set_data(bytes);
    ASSERT_TRUE(writer->Write(c));
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
  }
  bitsearch::v1::CommitDatasetRequest commit;
  commit.set_name("tiny");
  commit.mutable_manifest()->set_single_file(true);
  auto* f = commit.mutable_manifest()->add_files();
  f->set_path("tiny.npz");
  f->set_size_bytes(static_cast<int64_t>(bytes.size()));
  f->set_sha256(chunk);
  f->add_chunks(chunk);
  bitsearch::v1::CommitDatasetResponse committed;
  ASSERT_TRUE(stub->CommitDataset(Ctx().get(), commit, &committed).ok());
  const std::string spec = R"({"model":"lenet5","dataset":{"ref":"tiny","format":"npz"}})";
  std::string first = SubmitOk(*ts.Jobs(), "", spec);
  std::string second = SubmitOk(*ts.Jobs(), "", spec);

  std::vector<std::string> seen;
  WorkerOptions o = Options(ts, "w1");
  Worker* self = nullptr;
  Worker worker(o, [&](const JobSpec& s, const LeasedInputs&, JobObserver*, CheckpointStore*)
                       -> absl::StatusOr<nlohmann::json> {
    EXPECT_EQ(s.dataset.digest, committed.dataset().digest());
    auto located = WithLocalPaths(s.dataset);
    EXPECT_TRUE(located.ok()) << located.status();
    std::ifstream in(located->path, std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    seen.push_back(got);
    if (seen.size() == 2) self->Stop();
    return nlohmann::json{{"ok", true}};
  });
  self = &worker;
  ASSERT_TRUE(worker.Run().ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], bytes);
  EXPECT_EQ(seen[1], bytes);
  for (const std::string& id : {first, second}) {
    EXPECT_EQ(GetJob(ts, id).state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  }
  const std::string hex = committed.dataset().digest().substr(7);
  EXPECT_TRUE(std::filesystem::exists(o.data_dir + "/datasets/" + hex + "/tiny.npz"));
}

}  // namespace
}  // namespace bitsearch
