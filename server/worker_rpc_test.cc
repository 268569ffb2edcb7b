// WorkerService over real gRPC: leases, heartbeats, progress, chunked checkpoints, completion,
// the owner/attempt check, lease expiry and reaping, resume from checkpoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <vector>

#include "absl/strings/match.h"
#include "server/reaper.h"
#include "server/test_server.h"

namespace bitsearch::server::testing {
namespace {

using bitsearch::v1::LeaseRef;

class WorkerRpcTest : public ::testing::Test {
 protected:
  WorkerRpcTest() : ts_(/*auth=*/false, /*lease_seconds=*/10, /*max_attempts=*/2) {}

  bitsearch::v1::LeaseResponse Lease(const std::string& worker) {
    bitsearch::v1::LeaseRequest req;
    req.set_worker_id(worker);
    bitsearch::v1::LeaseResponse resp;
    grpc::Status st = workers_->Lease(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  grpc::Status Heartbeat(const LeaseRef& lease, bitsearch::v1::HeartbeatResponse* resp) {
    bitsearch::v1::HeartbeatRequest req;
    *req.mutable_lease() = lease;
    return workers_->Heartbeat(Ctx().get(), req, resp);
  }
  grpc::Status Complete(const LeaseRef& lease, const std::string& result = R"({"r":1})") {
    bitsearch::v1::CompleteRequest req;
    *req.mutable_lease() = lease;
    req.set_result_json(result);
    bitsearch::v1::CompleteResponse resp;
    return workers_->Complete(Ctx().get(), req, &resp);
  }
  grpc::Status Fail(const LeaseRef& lease, const std::string& error, bool cancelled) {
    bitsearch::v1::FailRequest req;
    *req.mutable_lease() = lease;
    req.set_error(error);
    req.set_cancelled(cancelled);
    bitsearch::v1::FailResponse resp;
    return workers_->Fail(Ctx().get(), req, &resp);
  }
  grpc::Status Upload(const LeaseRef& lease, const std::string& bytes, size_t chunk) {
    bitsearch::v1::UploadCheckpointResponse resp;
    auto ctx = Ctx();
    auto writer = workers_->UploadCheckpoint(ctx.get(), &resp);
    size_t off = 0;
    do {
      bitsearch::v1::CheckpointChunk c;
      if (off == 0) *c.mutable_lease() = lease;
      c.set_data(bytes.substr(off, chunk));
      off += chunk;
      if (off >= bytes.size()) {
        c.set_last(true);
        c.set_total_bytes(static_cast<int64_t>(bytes.size()));
      }
      if (!writer->Write(c)) break;
    } while (off < bytes.size());
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    if (st.ok()) {
      EXPECT_EQ(resp.size_bytes(), static_cast<int64_t>(bytes.size()));
    }
    return st;
  }
  grpc::Status Download(const LeaseRef& lease, std::string* bytes, int* chunks) {
    bitsearch::v1::DownloadCheckpointRequest req;
    *req.mutable_lease() = lease;
    auto ctx = Ctx();
    auto reader = workers_->DownloadCheckpoint(ctx.get(), req);
    bitsearch::v1::CheckpointChunk c;
    bytes->clear();
    *chunks = 0;
    while (reader->Read(&c)) {
      *bytes += c.data();
      ++*chunks;
    }
    return reader->Finish();
  }
  bitsearch::v1::Job Get(const std::string& id) {
    auto req = JobRequest<bitsearch::v1::GetJobRequest>(id);
    bitsearch::v1::Job job;
    EXPECT_TRUE(jobs_->GetJob(Ctx().get(), req, &job).ok());
    return job;
  }

  TestServer ts_;
  std::unique_ptr<bitsearch::v1::JobService::Stub> jobs_ = ts_.Jobs();
  std::unique_ptr<bitsearch::v1::WorkerService::Stub> workers_ = ts_.Workers();
};

TEST(WorkerMetricsTest, LeaseRunCompleteHappyPath) {
  // Runs the fixture's body on a server with a metrics endpoint.
  TestServer ts(/*auth=*/false, /*lease_seconds=*/10, /*max_attempts=*/2, /*metrics=*/true);
  auto jobs = ts.Jobs();
  auto workers = ts.Workers();
  bitsearch::v1::LeaseRequest lreq;
  lreq.set_worker_id("w1");
  bitsearch::v1::LeaseResponse lease;
  SubmitOk(*jobs);
  ASSERT_TRUE(workers->Lease(Ctx().get(), lreq, &lease).ok());
  bitsearch::v1::ReportProgressRequest rp;
  *rp.mutable_lease() = lease.lease();
  auto* ev = rp.add_events();
  ev->set_type(bitsearch::v1::JobEvent::TYPE_PHASE_END);
  ev->set_phase("search");
  ev->set_seconds(2.5);
  bitsearch::v1::ReportProgressResponse rr;
  ASSERT_TRUE(workers->ReportProgress(Ctx().get(), rp, &rr).ok());
  bitsearch::v1::CompleteRequest done;
  *done.mutable_lease() = lease.lease();
  done.set_result_json("{}");
  bitsearch::v1::CompleteResponse cr;
  ASSERT_TRUE(workers->Complete(Ctx().get(), done, &cr).ok());
  std::string metrics = HttpGet("127.0.0.1", ts.server().metrics_port(), "/metrics");
  EXPECT_TRUE(absl::StrContains(metrics, "bitsearch_phase_duration_seconds_count{phase=\"search\"} 1"));
  EXPECT_TRUE(absl::StrContains(metrics, "bitsearch_job_duration_seconds_count{state=\"SUCCEEDED\"} 1"));
  EXPECT_TRUE(absl::StrContains(metrics, "bitsearch_queue_wait_seconds_count 1"));
  EXPECT_TRUE(absl::StrContains(metrics, "bitsearch_leases_total{resumed=\"false\"} 1"));
}

TEST_F(WorkerRpcTest, LeaseRunCompleteHappyPath) {
  EXPECT_FALSE(Lease("w1").leased());
  std::string id = SubmitOk(*jobs_);
  auto lease = Lease("w1");
  ASSERT_TRUE(lease.leased());
  EXPECT_EQ(lease.lease().job_id(), id);
  EXPECT_EQ(lease.lease().attempt(), 1);
  EXPECT_EQ(lease.lease_seconds(), 10);
  EXPECT_FALSE(lease.has_checkpoint());
  EXPECT_TRUE(absl::StrContains(lease.spec_json(), "lenet5"));
  EXPECT_EQ(Get(id).state(), bitsearch::v1::JOB_STATE_RUNNING);
  EXPECT_EQ(Get(id).worker_id(), "w1");

  bitsearch::v1::HeartbeatResponse hb;
  ts_.clock().AdvanceMs(5'000);
  ASSERT_TRUE(Heartbeat(lease.lease(), &hb).ok());
  EXPECT_FALSE(hb.cancel_requested());
  EXPECT_EQ(hb.lease_expires_unix_ms(), ts_.clock().NowMs() + 10'000);

  bitsearch::v1::ReportProgressRequest rp;
  *rp.mutable_lease() = lease.lease();
  auto* ev = rp.add_events();
  ev->set_type(bitsearch::v1::JobEvent::TYPE_PHASE_START);
  ev->set_phase("search");
  ev = rp.add_events();
  ev->set_type(bitsearch::v1::JobEvent::TYPE_PHASE_END);
  ev->set_phase("search");
  ev->set_seconds(2.5);
  bitsearch::v1::ReportProgressResponse rr;
  ASSERT_TRUE(workers_->ReportProgress(Ctx().get(), rp, &rr).ok());
  EXPECT_FALSE(rr.cancel_requested());
  EXPECT_EQ(Get(id).phase(), "search");

  EXPECT_EQ(Complete(lease.lease(), "not json").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Complete(lease.lease()).ok());
  EXPECT_EQ(Get(id).state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(Get(id).has_result());
}

TEST_F(WorkerRpcTest, BadLeaseReferencesAreRejected) {
  SubmitOk(*jobs_);
  auto lease = Lease("w1");
  LeaseRef other_owner = lease.lease();
  other_owner.set_worker_id("w2");
  LeaseRef other_attempt = lease.lease();
  other_attempt.set_attempt(7);
  LeaseRef unknown = lease.lease();
  unknown.set_job_id("job-unknown");
  // Another worker-token holder that knows the worker id but not the lease's own token.
  LeaseRef stolen = lease.lease();
  stolen.set_token("0123456789abcdef0123456789abcdef");
  LeaseRef no_token = lease.lease();
  no_token.clear_token();
  LeaseRef empty;
  bitsearch::v1::HeartbeatResponse hb;
  EXPECT_EQ(Heartbeat(other_owner, &hb).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Heartbeat(other_attempt, &hb).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Heartbeat(unknown, &hb).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Heartbeat(empty, &hb).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Heartbeat(no_token, &hb).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Heartbeat(stolen, &hb).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Complete(stolen).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Fail(stolen, "x", false).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Upload(stolen, "abc", 2).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  std::string stolen_bytes;
  int stolen_chunks;
  EXPECT_EQ(Download(stolen, &stolen_bytes, &stolen_chunks).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(lease.lease().token().size(), 32u);
  EXPECT_EQ(Complete(other_owner).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Fail(other_attempt, "x", false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Upload(other_owner, "abc", 2).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  std::string bytes;
  int chunks;
  EXPECT_EQ(Download(lease.lease(), &bytes, &chunks).error_code(), grpc::StatusCode::NOT_FOUND);
  bitsearch::v1::LeaseRequest no_id;
  bitsearch::v1::LeaseResponse resp;
  EXPECT_EQ(workers_->Lease(Ctx().get(), no_id, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bitsearch::v1::ReportProgressRequest state_event;
  *state_event.mutable_lease() = lease.lease();
  state_event.add_events()->set_type(bitsearch::v1::JobEvent::TYPE_STATE);
  bitsearch::v1::ReportProgressResponse rr;
  EXPECT_EQ(workers_->ReportProgress(Ctx().get(), state_event, &rr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// What a client reads back must never crash it: steps past their total, negative steps, unbounded
// phase names and messages are refused, and a job's log is capped.
TEST_F(WorkerRpcTest, ProgressEventsAreValidatedAndTheLogIsCapped) {
  ts_.options().limits.max_events_per_job = 30;
  ts_.Restart();
  jobs_ = ts_.Jobs();
  workers_ = ts_.Workers();
  std::string id = SubmitOk(*jobs_);
  auto lease = Lease("w1");
  auto report = [&](const std::function<void(bitsearch::v1::JobEvent*)>& fill, int n = 1) {
    bitsearch::v1::ReportProgressRequest req;
    *req.mutable_lease() = lease.lease();
    for (int i = 0; i < n; ++i) fill(req.add_events());
    bitsearch::v1::ReportProgressResponse resp;
    return workers_->ReportProgress(Ctx().get(), req, &resp);
  };
  auto progress = [](int64_t step, int64_t total) {
    return [=](bitsearch::v1::JobEvent* e) {
      e->set_type(bitsearch::v1::JobEvent::TYPE_PROGRESS);
      e->set_phase("search");
      e->mutable_progress()->set_phase("search");
      e->mutable_progress()->set_step(step);
      e->mutable_progress()->set_total_steps(total);
    };
  };
  grpc::Status past = report(progress(11, 10));
  EXPECT_EQ(past.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(past.error_message(), "events[0].progress.step")) << past.error_message();
  EXPECT_EQ(report(progress(-1, 10)).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(report(progress(5, -3)).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status long_phase = report([](bitsearch::v1::JobEvent* e) {
    e->set_type(bitsearch::v1::JobEvent::TYPE_PHASE_START);
    e->set_phase(std::string(100 << 10, 'p'));
  });
  EXPECT_EQ(long_phase.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(long_phase.error_message().size(), 300u);
  EXPECT_EQ(report([](bitsearch::v1::JobEvent* e) {
              e->set_type(bitsearch::v1::JobEvent::TYPE_PHASE_END);
              e->set_phase("bad phase\n{label}");
            }).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(report([](bitsearch::v1::JobEvent* e) {
              e->set_type(bitsearch::v1::JobEvent::TYPE_LOG);
              e->set_message(std::string(5000, 'm'));
            }).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get(id).last_sequence(), 2);  // nothing of the above was stored
  ASSERT_TRUE(report([](bitsearch::v1::JobEvent* e) {  // the pipeline's baseline phases
                e->set_type(bitsearch::v1::JobEvent::TYPE_PHASE_START);
                e->set_phase("baseline:w8a8");
              }).ok());

  // 1000 valid events at once: stored up to the cap (30), then only phase boundaries.
  ASSERT_TRUE(report(progress(5, 10), 1000).ok());
  EXPECT_EQ(Get(id).last_sequence(), 30);
  ASSERT_TRUE(report([](bitsearch::v1::JobEvent* e) {
                e->set_type(bitsearch::v1::JobEvent::TYPE_PHASE_END);
                e->set_phase("search");
                e->set_seconds(1);
              }).ok());
  EXPECT_EQ(Get(id).last_sequence(), 31);
  ASSERT_TRUE(report(progress(6, 10)).ok());  // accepted, not stored
  EXPECT_EQ(Get(id).last_sequence(), 31);
}

TEST_F(WorkerRpcTest, ResultJsonOfTheWrongShapeIsRefused) {
  std::string id = SubmitOk(*jobs_);
  auto lease = Lease("w1");
  struct Case {
    const char* json;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {"null", "must be an object"},
           {"[1,2]", "must be an object"},
           {R"("text")", "must be an object"},
           {R"({"accuracy":"high"})", "result_json.accuracy"},
           {R"({"accuracy":{"final":"high"}})", "result_json.accuracy.final"},
           {R"({"accuracy":{"final":150}})", "result_json.accuracy.final"},
           {R"({"layers":{}})", "result_json.layers"},
           {R"({"layers":[{"name":"c1","weight_bits":3}]})", "result_json.layers[0].weight_bits"},
           {R"({"layers":[{"channels":4,"channels_kept":9}]})", "channels_kept"},
           {R"({"latency":{"final":-1}})", "result_json.latency.final"},
           {R"({"baselines":[{"accuracy":"x"}]})", "result_json.baselines[0].accuracy"},
           {R"({"baselines":[{"seconds":-1}]})", "result_json.baselines[0].seconds"},
           {R"({"timings":{"search":"slow"}})", "result_json.timings"}}) {
    grpc::Status st = Complete(lease.lease(), c.json);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.json;
    EXPECT_TRUE(absl::StrContains(st.error_message(), c.field)) << c.json << ": " << st.error_message();
  }
  EXPECT_EQ(Get(id).state(), bitsearch::v1::JOB_STATE_RUNNING);
  ASSERT_TRUE(Complete(lease.lease(),
                       R"({"name":"j","accuracy":{"fp32":90.1,"searched":null,"final":89.5},)"
                       R"("relative_bops_percent":3.2,"latency":{"unit":"cycles","final":1200,)"
                       R"("w8a8":2000,"reduction_vs_w8a8":40},"layers":[{"name":"conv1",)"
                       R"("type":"conv","weight_bits":4,"act_bits":8,"channels":6,)"
                       R"("channels_kept":5,"macs":1000,"latency":null}],)"
                       R"("baselines":[{"name":"w8a8","accuracy":90,"latency":2000}],)"
                       R"("timings":{"search":12.5},"spec":{"anything":[1]}})")
                  .ok());
}

TEST_F(WorkerRpcTest, FailMarksJobFailedWithTheError) {
  std::string id = SubmitOk(*jobs_);
  auto lease = Lease("w1");
  ASSERT_TRUE(Fail(lease.lease(), "dataset missing", false).ok());
  EXPECT_EQ(Get(id).state(), bitsearch::v1::JOB_STATE_FAILED);
  EXPECT_EQ(Get(id).error(), "dataset missing");
}

TEST_F(WorkerRpcTest, CancelReachesTheWorkerThroughHeartbeat) {
  std::string id = SubmitOk(*jobs_);
  auto lease = Lease("w1");
  auto cancel = JobRequest<bitsearch::v1::CancelJobRequest>(id);
  bitsearch::v1::Job job;
  ASSERT_TRUE(jobs_->CancelJob(Ctx().get(), cancel, &job).ok());
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_CANCELLED);
  bitsearch::v1::HeartbeatResponse hb;
  ASSERT_TRUE(Heartbeat(lease.lease(), &hb).ok());
  EXPECT_TRUE(hb.cancel_requested());
  EXPECT_EQ(Complete(lease.lease()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Fail(lease.lease(), "cancelled", true).ok());
  EXPECT_EQ(Get(id).state(), bitsearch::v1::JOB_STATE_CANCELLED);
}

TEST_F(WorkerRpcTest, ExpiredLeaseIsReapedAndResumedFromCheckpoint) {
  std::string id = SubmitOk(*jobs_);
  auto first = Lease("w1");
  // 2.5 MiB in 1 MiB chunks, with every byte value.
  std::string checkpoint;
  for (int i = 0; i < (5 << 19); ++i) checkpoint.push_back(static_cast<char>(i * 7));
  ASSERT_TRUE(Upload(first.lease(), checkpoint, 1 << 20).ok());
  ASSERT_TRUE(Upload(first.lease(), checkpoint, 1 << 20).ok());  // replaces, old blob removed
  size_t blobs = 0;
  for (auto& e : std::filesystem::directory_iterator(ts_.dir() + "/data/checkpoints")) {
    (void)e;
    ++blobs;
  }
  EXPECT_EQ(blobs, 1u);

  ts_.clock().AdvanceMs(9'000);
  EXPECT_EQ(*ts_.server().reaper().RunOnce(), 0);
  ts_.clock().AdvanceMs(2'000);  // 11 s without a heartbeat > 10 s lease
  EXPECT_EQ(*ts_.server().reaper().RunOnce(), 1);
  EXPECT_EQ(Get(id).state(), bitsearch::v1::JOB_STATE_QUEUED);
  bitsearch::v1::HeartbeatResponse hb;
  EXPECT_EQ(Heartbeat(first.lease(), &hb).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto second = Lease("w2");
  ASSERT_TRUE(second.leased());
  EXPECT_EQ(second.lease().attempt(), 2);
  EXPECT_TRUE(second.has_checkpoint());
  std::string bytes;
  int chunks = 0;
  ASSERT_TRUE(Download(second.lease(), &bytes, &chunks).ok());
  EXPECT_EQ(chunks, 3);
  EXPECT_TRUE(bytes == checkpoint);
  // The first worker comes back: it can neither complete nor overwrite the checkpoint.
  EXPECT_EQ(Complete(first.lease()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Upload(first.lease(), "stale", 5).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Attempt 2 of 2 expires too: the job fails for good.
  ts_.clock().AdvanceMs(11'000);
  EXPECT_EQ(*ts_.server().reaper().RunOnce(), 1);
  bitsearch::v1::Job job = Get(id);
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_FAILED);
  EXPECT_TRUE(absl::StrContains(job.error(), "attempt 2 of 2")) << job.error();
}

TEST_F(WorkerRpcTest, EmptyUploadAndOversizedChunkAreRejected) {
  SubmitOk(*jobs_);
  auto lease = Lease("w1");
  bitsearch::v1::UploadCheckpointResponse resp;
  auto ctx = Ctx();
  auto writer = workers_->UploadCheckpoint(ctx.get(), &resp);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload(lease.lease(), std::string((1 << 20) + 1, 'x'), (1 << 20) + 1).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(WorkerRpcTest, UploadedModelTravelsWithTheLease) {
  bitsearch::v1::SubmitJobRequest req;
  req.set_spec_json(R"({"model":{"onnx":"net.onnx"},"dataset":{"name":"synthetic","preprocess":"auto"}})");
  req.set_onnx_model(std::string("\x08\x07onnx", 6));
  bitsearch::v1::SubmitJobResponse resp;
  ASSERT_TRUE(jobs_->SubmitJob(Ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.job().has_model());
  auto lease = Lease("w1");
  EXPECT_EQ(lease.onnx_model(), req.onnx_model());
}

TEST_F(WorkerRpcTest, ExportFilesAreStoredForTheCompletingAttemptOnly) {
  std::string id = SubmitOk(*jobs_);
  auto first = Lease("w1");
  ts_.clock().AdvanceMs(11'000);  // attempt 1 expires; attempt 2 goes to w2
  EXPECT_EQ(*ts_.server().reaper().RunOnce(), 1);
  auto second = Lease("w2");
  ASSERT_EQ(second.lease().attempt(), 2);

  auto complete = [&](const LeaseRef& lease, const std::string& name, const std::string& data) {
    bitsearch::v1::CompleteRequest req;
    *req.mutable_lease() = lease;
    req.set_result_json(R"({"r":1})");
    auto* file = req.add_export_files();
    file->set_name(name);
    file->set_data(data);
    bitsearch::v1::CompleteResponse resp;
    return workers_->Complete(Ctx().get(), req, &resp);
  };
  // A path instead of a file name: refused, naming the entry; the job stays RUNNING.
  grpc::Status bad = complete(second.lease(), "../escape.onnx", "x");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(bad.error_message(), "export_files[0].name")) << bad.error_message();
  EXPECT_EQ(Get(id).state(), bitsearch::v1::JOB_STATE_RUNNING);
  // The stale attempt cannot complete, and leaves no files behind.
  EXPECT_EQ(complete(first.lease(), "model.onnx", "stale").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(std::filesystem::is_empty(ts_.dir() + "/data/exports"));

  auto rreq = JobRequest<bitsearch::v1::GetResultRequest>(id);
  rreq.set_include_export(true);
  bitsearch::v1::GetResultResponse result;
  EXPECT_EQ(jobs_->GetResult(Ctx().get(), rreq, &result).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // no result yet
  ASSERT_TRUE(complete(second.lease(), "model.onnx", "winner").ok());
  grpc::Status got = jobs_->GetResult(Ctx().get(), rreq, &result);
  ASSERT_TRUE(got.ok()) << got.error_message();
  ASSERT_EQ(result.export_files_size(), 1);
  EXPECT_EQ(result.export_files(0).name(), "model.onnx");
  EXPECT_EQ(result.export_files(0).data(), "winner");
  rreq.set_include_export(false);
  ASSERT_TRUE(jobs_->GetResult(Ctx().get(), rreq, &result).ok());
  EXPECT_EQ(result.export_files_size(), 0);
}

TEST_F(WorkerRpcTest, ResultWithoutExportFilesSaysSo) {
  std::string id = SubmitOk(*jobs_);
  auto lease = Lease("w1");
  ASSERT_TRUE(Complete(lease.lease()).ok());
  auto rreq = JobRequest<bitsearch::v1::GetResultRequest>(id);
  rreq.set_include_export(true);
  bitsearch::v1::GetResultResponse result;
  grpc::Status st = jobs_->GetResult(Ctx().get(), rreq, &result);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "no exported model")) << st.error_message();
}

}  // namespace
}  // namespace bitsearch::server::testing
