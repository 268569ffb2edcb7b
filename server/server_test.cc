// JobService, ProfileService, health and metrics over real gRPC against an in-process server.
#include <gtest/gtest.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/reaper.h"
#include "server/sqlite_job_store.h"
#include "server/test_server.h"

namespace bitsearch::server::testing {
namespace {

using bitsearch::v1::JobEvent;

TEST(JobServiceTest, SubmitGetResultAndNotFound) {
  TestServer ts;
  auto jobs = ts.Jobs();
  bitsearch::v1::SubmitJobRequest req;
  req.set_spec_json(kSmallSpec);
  bitsearch::v1::SubmitJobResponse resp;
  ASSERT_TRUE(jobs->SubmitJob(Ctx().get(), req, &resp).ok());
  const bitsearch::v1::Job& job = resp.job();
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_QUEUED);
  EXPECT_FALSE(resp.deduplicated());
  EXPECT_TRUE(absl::StartsWith(job.id(), "job-"));
  // The stored spec has the defaults filled in.
  EXPECT_TRUE(absl::StrContains(job.spec_json(), "\"max_bits\""));

  auto get = JobRequest<bitsearch::v1::GetJobRequest>(job.id());
  bitsearch::v1::Job got;
  ASSERT_TRUE(jobs->GetJob(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.id(), job.id());
  EXPECT_EQ(got.created_unix_ms(), ts.clock().NowMs());

  get.set_job_id("job-does-not-exist");
  grpc::Status st = jobs->GetJob(Ctx().get(), get, &got);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "job-does-not-exist"));
  get.set_job_id("");
  EXPECT_EQ(jobs->GetJob(Ctx().get(), get, &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  auto res = JobRequest<bitsearch::v1::GetResultRequest>(job.id());
  bitsearch::v1::GetResultResponse result;
  EXPECT_EQ(jobs->GetResult(Ctx().get(), res, &result).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  res.set_job_id("nope");
  EXPECT_EQ(jobs->GetResult(Ctx().get(), res, &result).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(JobServiceTest, InvalidSpecNamesTheField) {
  TestServer ts;
  auto jobs = ts.Jobs();
  bitsearch::v1::SubmitJobRequest req;
  bitsearch::v1::SubmitJobResponse resp;
  req.set_spec_json(R"({"model":"lenet5","search":{"mu":"high"}})");
  grpc::Status st = jobs->SubmitJob(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "search.mu")) << st.error_message();
  req.set_spec_json(R"({"model":"lenet5","bogus":1})");
  st = jobs->SubmitJob(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "bogus")) << st.error_message();
  req.set_spec_json("");
  EXPECT_EQ(jobs->SubmitJob(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // An uploaded model needs a spec that says so.
  req.set_spec_json(kSmallSpec);
  req.set_onnx_model("onnx-bytes");
  st = jobs->SubmitJob(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "onnx")) << st.error_message();
}

// Paths name files inside the workers' --data-root: what can be refused without knowing those
// folders is refused at submission, before the job is ever queued.
TEST(JobServiceTest, PathsOutsideTheWorkersDataRootAreRefusedAtSubmission) {
  TestServer ts;
  auto jobs = ts.Jobs();
  bitsearch::v1::SubmitJobRequest req;
  bitsearch::v1::SubmitJobResponse resp;
  for (const char* model : {"/etc/shadow", "/proc/self/environ", "/dev/zero", "../../etc/passwd",
                            "models/../../x.onnx"}) {
    req.set_spec_json(absl::StrCat(R"({"model":{"onnx":")", model, R"("},"dataset":{"preprocess":"auto"}})"));
    grpc::Status st = jobs->SubmitJob(Ctx().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << model;
    EXPECT_TRUE(absl::StrContains(st.error_message(), "model.onnx")) << st.error_message();
    EXPECT_TRUE(absl::StrContains(st.error_message(), "--data-root")) << st.error_message();
  }
  for (const char* dataset : {R"({"format":"idx","path":"/etc"})",
                              R"({"format":"npy","train":{"x":"x.npy","y":"y.npy"},"test":{"x":"../x.npy","y":"y.npy"}})"}) {
    req.set_spec_json(absl::StrCat(R"({"model":"lenet5","dataset":)", dataset, "}"));
    grpc::Status st = jobs->SubmitJob(Ctx().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << dataset;
    EXPECT_TRUE(absl::StrContains(st.error_message(), "bitsearch datasets upload")) << st.error_message();
  }
  EXPECT_EQ(ListedJobs(*jobs), 0);
  // Relative paths are the workers' to resolve; an upload needs no path check at all.
  req.set_spec_json(R"({"model":{"onnx":"models/net.onnx"},"dataset":{"preprocess":"auto"}})");
  EXPECT_TRUE(jobs->SubmitJob(Ctx().get(), req, &resp).ok());
}

// A 100 KB value anywhere gives INVALID_ARGUMENT with a short message, never RESOURCE_EXHAUSTED
// from a status too large to send.
TEST(JobServiceTest, HugeFieldValuesGiveShortInvalidArgumentErrors) {
  TestServer ts;
  auto jobs = ts.Jobs();
  std::string big(100 << 10, 'q');
  bitsearch::v1::SubmitJobRequest req;
  bitsearch::v1::SubmitJobResponse resp;
  for (const std::string& spec :
       {absl::StrCat(R"({"model":")", big, R"("})"),
        absl::StrCat(R"({"model":"lenet5",")", big, R"(":1})"),
        absl::StrCat(R"({"model":"lenet5","hardware":{"profile":")", big, R"("}})"),
        absl::StrCat(R"({"model":{"onnx":"/)", big, R"("},"dataset":{"preprocess":"auto"}})")}) {
    req.set_spec_json(spec);
    grpc::Status st = jobs->SubmitJob(Ctx().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message().substr(0, 200);
    EXPECT_LT(st.error_message().size(), 600u) << st.error_message().substr(0, 200);
  }
  auto get = JobRequest<bitsearch::v1::GetJobRequest>(big);
  bitsearch::v1::Job job;
  grpc::Status st = jobs->GetJob(Ctx().get(), get, &job);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(st.error_message().size(), 600u);
}

TEST(JobServiceTest, OversizedInputIsRefusedWithTheLimit) {
  TestServer ts;
  auto jobs = ts.Jobs();
  bitsearch::v1::SubmitJobRequest req;
  bitsearch::v1::SubmitJobResponse resp;
  req.set_spec_json(std::string(300 << 10, ' ') + kSmallSpec);
  grpc::Status st = jobs->SubmitJob(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "limit is 262144")) << st.error_message();
  // Above the transport limit gRPC itself refuses the message and names both sizes.
  req.set_spec_json(kSmallSpec);
  req.set_onnx_model(std::string(66 << 20, 'x'));
  st = jobs->SubmitJob(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "larger than max")) << st.error_message();
  EXPECT_EQ(ListedJobs(*jobs), 0);
}

TEST(JobServiceTest, SubmitIsIdempotentPerRequestId) {
  TestServer ts;
  auto jobs = ts.Jobs();
  bitsearch::v1::SubmitJobRequest req;
  req.set_spec_json(kSmallSpec);
  req.set_client_request_id("req-42");
  bitsearch::v1::SubmitJobResponse a, b, c;
  ASSERT_TRUE(jobs->SubmitJob(Ctx().get(), req, &a).ok());
  ASSERT_TRUE(jobs->SubmitJob(Ctx().get(), req, &b).ok());
  EXPECT_EQ(a.job().id(), b.job().id());
  EXPECT_TRUE(b.deduplicated());
  // Same id, different spec: a client bug worth reporting.
  req.set_spec_json(R"({"model":"lenet5"})");
  EXPECT_EQ(jobs->SubmitJob(Ctx().get(), req, &c).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  req.set_client_request_id("has space");
  EXPECT_EQ(jobs->SubmitJob(Ctx().get(), req, &c).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ListedJobs(*jobs), 1);
}

TEST(JobServiceTest, ListPaginatesAndFilters) {
  TestServer ts;
  auto jobs = ts.Jobs();
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(SubmitOk(*jobs));
  auto cancel = JobRequest<bitsearch::v1::CancelJobRequest>(ids[3]);
  bitsearch::v1::Job cancelled;
  ASSERT_TRUE(jobs->CancelJob(Ctx().get(), cancel, &cancelled).ok());

  std::vector<std::string> seen;
  bitsearch::v1::ListJobsRequest req;
  req.set_page_size(5);
  int pages = 0;
  do {
    bitsearch::v1::ListJobsResponse resp;
    ASSERT_TRUE(jobs->ListJobs(Ctx().get(), req, &resp).ok());
    for (const auto& j : resp.jobs()) seen.push_back(j.id());
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_EQ(pages, 3);
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, newest_first);

  bitsearch::v1::ListJobsRequest filtered;
  filtered.set_state(bitsearch::v1::JOB_STATE_CANCELLED);
  bitsearch::v1::ListJobsResponse only;
  ASSERT_TRUE(jobs->ListJobs(Ctx().get(), filtered, &only).ok());
  ASSERT_EQ(only.jobs_size(), 1);
  EXPECT_EQ(only.jobs(0).id(), ids[3]);

  bitsearch::v1::ListJobsRequest bad;
  bitsearch::v1::ListJobsResponse ignored;
  bad.set_page_token("garbage");
  EXPECT_EQ(jobs->ListJobs(Ctx().get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_token("");
  bad.set_page_size(-1);
  EXPECT_EQ(jobs->ListJobs(Ctx().get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_size(0);
  bad.set_state(static_cast<bitsearch::v1::JobState>(42));
  EXPECT_EQ(jobs->ListJobs(Ctx().get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(JobServiceTest, CancelQueuedJobAndErrors) {
  TestServer ts;
  auto jobs = ts.Jobs();
  std::string id = SubmitOk(*jobs);
  auto req = JobRequest<bitsearch::v1::CancelJobRequest>(id);
  bitsearch::v1::Job job;
  ASSERT_TRUE(jobs->CancelJob(Ctx().get(), req, &job).ok());
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(jobs->CancelJob(Ctx().get(), req, &job).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  req.set_job_id("missing");
  EXPECT_EQ(jobs->CancelJob(Ctx().get(), req, &job).error_code(), grpc::StatusCode::NOT_FOUND);
  // A cancelled job is never leased.
  bitsearch::v1::LeaseRequest lease;
  lease.set_worker_id("w");
  bitsearch::v1::LeaseResponse leased;
  ASSERT_TRUE(ts.Workers()->Lease(Ctx().get(), lease, &leased).ok());
  EXPECT_FALSE(leased.leased());
}

std::vector<JobEvent> ReadAll(grpc::ClientReader<JobEvent>* reader) {
  std::vector<JobEvent> events;
  JobEvent e;
  while (reader->Read(&e)) events.push_back(e);
  return events;
}

TEST(JobServiceTest, WatchReplaysFollowsLiveAndResumes) {
  TestServer ts;
  auto jobs = ts.Jobs();
  auto workers = ts.Workers();
  std::string id = SubmitOk(*jobs);
  bitsearch::v1::LeaseRequest lreq;
  lreq.set_worker_id("w1");
  bitsearch::v1::LeaseResponse lease;
  ASSERT_TRUE(workers->Lease(Ctx().get(), lreq, &lease).ok());

  auto wreq = JobRequest<bitsearch::v1::WatchJobRequest>(id);
  auto ctx = Ctx();
  auto reader = jobs->WatchJob(ctx.get(), wreq);
  JobEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.sequence(), 1);
  EXPECT_EQ(e.state(), bitsearch::v1::JOB_STATE_QUEUED);
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.sequence(), 2);
  EXPECT_EQ(e.state(), bitsearch::v1::JOB_STATE_RUNNING);

  // Live: events reported after the watch started arrive on the open stream.
  std::thread reporter([&] {
    bitsearch::v1::ReportProgressRequest rp;
    *rp.mutable_lease() = lease.lease();
    for (int step = 1; step <= 3; ++step) {
      JobEvent* ev = rp.add_events();
      ev->set_type(JobEvent::TYPE_PROGRESS);
      ev->mutable_progress()->set_phase("search");
      ev->mutable_progress()->set_step(step);
    }
    bitsearch::v1::ReportProgressResponse rr;
    EXPECT_TRUE(workers->ReportProgress(Ctx().get(), rp, &rr).ok());
    bitsearch::v1::CompleteRequest done;
    *done.mutable_lease() = lease.lease();
    done.set_result_json(R"({"accuracy":{"final":90}})");
    bitsearch::v1::CompleteResponse cr;
    EXPECT_TRUE(workers->Complete(Ctx().get(), done, &cr).ok());
  });
  std::vector<JobEvent> rest = ReadAll(reader.get());
  reporter.join();
  EXPECT_TRUE(reader->Finish().ok());
  ASSERT_EQ(rest.size(), 4u);
  EXPECT_EQ(rest[0].progress().step(), 1);
  EXPECT_EQ(rest[2].progress().step(), 3);
  EXPECT_EQ(rest[3].state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(rest[3].sequence(), 6);

  // Resume after sequence 4: only 5 and 6, then the stream ends (job is terminal).
  wreq.set_after_sequence(4);
  auto ctx2 = Ctx();
  auto again = jobs->WatchJob(ctx2.get(), wreq);
  std::vector<JobEvent> tail = ReadAll(again.get());
  EXPECT_TRUE(again->Finish().ok());
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].sequence(), 5);

  auto rreq = JobRequest<bitsearch::v1::GetResultRequest>(id);
  bitsearch::v1::GetResultResponse result;
  ASSERT_TRUE(jobs->GetResult(Ctx().get(), rreq, &result).ok());
  EXPECT_EQ(result.result_json(), R"({"accuracy":{"final":90}})");

  wreq.set_job_id("unknown");
  auto ctx3 = Ctx();
  auto missing = jobs->WatchJob(ctx3.get(), wreq);
  EXPECT_TRUE(ReadAll(missing.get()).empty());
  EXPECT_EQ(missing->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(JobServiceTest, WatchEndsWhenServerShutsDown) {
  TestServer ts;
  auto jobs = ts.Jobs();
  std::string id = SubmitOk(*jobs);
  auto wreq = JobRequest<bitsearch::v1::WatchJobRequest>(id);
  auto ctx = Ctx();
  auto reader = jobs->WatchJob(ctx.get(), wreq);
  JobEvent e;
  ASSERT_TRUE(reader->Read(&e));
  std::thread stopper([&] { ts.Stop(); });
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  stopper.join();
}

TEST(JobServiceTest, JobsAndResultsSurviveRestart) {
  TestServer ts;
  std::string id = SubmitOk(*ts.Jobs());
  ts.Restart();
  auto get = JobRequest<bitsearch::v1::GetJobRequest>(id);
  bitsearch::v1::Job job;
  ASSERT_TRUE(ts.Jobs()->GetJob(Ctx().get(), get, &job).ok());
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_QUEUED);
}

constexpr char kMeasuredCsv[] =
    "type,groups,kernel_h,kernel_w,stride,padding,in_h,in_w,out_h,out_w,in_channels,"
    "out_channels,act_bits,weight_bits,latency\n"
    "conv,1,5,5,1,0,28,28,24,24,1,32,8,8,0.002\n"
    "conv,1,5,5,1,0,28,28,24,24,1,32,4,4,0.001\n";

TEST(ProfileServiceTest, PutGetListAndValidation) {
  TestServer ts;
  auto profiles = ts.Profiles();
  bitsearch::v1::PutProfileRequest put;
  put.mutable_profile()->set_name("my-board");
  put.mutable_profile()->set_format("csv");
  put.mutable_profile()->set_content(kMeasuredCsv);
  bitsearch::v1::Profile stored;
  ASSERT_TRUE(profiles->PutProfile(Ctx().get(), put, &stored).ok());
  EXPECT_EQ(stored.size_bytes(), static_cast<int64_t>(put.profile().content().size()));

  bitsearch::v1::GetProfileRequest get;
  get.set_name("my-board");
  bitsearch::v1::Profile got;
  ASSERT_TRUE(profiles->GetProfile(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.content(), put.profile().content());
  get.set_name("absent");
  EXPECT_EQ(profiles->GetProfile(Ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  bitsearch::v1::ListProfilesResponse list;
  ASSERT_TRUE(profiles->ListProfiles(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.profiles_size(), 1);
  EXPECT_TRUE(list.profiles(0).content().empty());

  for (auto [name, format, content] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"../etc", "json", "{}"}, {"ok", "yaml", "a: 1"}, {"ok", "json", "[1,2]"},
           {"ok", "json", "{"}, {"ok", "csv", "a,b\n1,2\n"}, {"ok", "json", ""},
           {"bops", "json", R"({"name": "bops", "kind": "bops"})"}}) {
    put.mutable_profile()->set_name(name);
    put.mutable_profile()->set_format(format);
    put.mutable_profile()->set_content(content);
    grpc::Status st = profiles->PutProfile(Ctx().get(), put, &stored);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name << " " << content;
    EXPECT_TRUE(absl::StrContains(st.error_message(), "profile.")) << st.error_message();
  }
  ASSERT_TRUE(profiles->ListProfiles(Ctx().get(), {}, &list).ok());
  EXPECT_EQ(list.profiles_size(), 1) << "a refused profile was stored";
}

// Content goes through the latency models' own parsers: errors name line and column, and a
// refused upload leaves the stored profile as it was.
TEST(ProfileServiceTest, MalformedContentIsRefusedWithLineAndColumn) {
  TestServer ts;
  auto profiles = ts.Profiles();
  bitsearch::v1::PutProfileRequest put;
  bitsearch::v1::Profile* p = put.mutable_profile();
  p->set_name("board");
  p->set_format("csv");
  p->set_content(kMeasuredCsv);
  bitsearch::v1::Profile stored;
  ASSERT_TRUE(profiles->PutProfile(Ctx().get(), put, &stored).ok());

  struct Case {
    std::string format, content, want;
  };
  std::string bad_latency = std::string(kMeasuredCsv) + "conv,1,5,5,1,0,28,28,24,24,1,32,2,2,x\n";
  std::string bad_type = std::string(kMeasuredCsv) + "pool,1,5,5,1,0,28,28,24,24,1,32,2,2,1\n";
  std::string dup = std::string(kMeasuredCsv) + "conv,1,5,5,1,0,28,28,24,24,1,32,8,8,0.003\n";
  for (const Case& c : std::vector<Case>{
           {"csv", bad_latency, "profile.content: line 4"},
           {"csv", bad_type, "profile.content: line 4"},
           {"csv", dup, "line 4"},
           {"csv", "type,latency\nconv,1\n", "missing column"},
           {"json", "{\"name\": \"board\",\n  \"kind\": \"lut\",\n  \"unit\": }", "line 3, column"},
           {"json", R"({"name": "board", "kind": "analytic", "unit": "cycles"})", "analytic"},
           {"json", R"({"name": "board", "kind": "lut", "unit": "seconds", "table": )"
                    R"({"csv": "type,latency\n"}})", "table"},
           {"json", R"({"name": "other", "kind": "bops"})", "names itself 'other'"}}) {
    p->set_format(c.format);
    p->set_content(c.content);
    grpc::Status st = profiles->PutProfile(Ctx().get(), put, &stored);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.content;
    EXPECT_TRUE(absl::StrContains(st.error_message(), c.want))
        << "want '" << c.want << "' in: " << st.error_message();
  }
  bitsearch::v1::GetProfileRequest get;
  get.set_name("board");
  bitsearch::v1::Profile got;
  ASSERT_TRUE(profiles->GetProfile(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.content(), kMeasuredCsv) << "a refused upload replaced the stored profile";

  // A JSON profile is accepted too, and replaces the CSV.
  p->set_format("json");
  p->set_content(R"({"name": "board", "kind": "bops", "description": "proxy"})");
  ASSERT_TRUE(profiles->PutProfile(Ctx().get(), put, &stored).ok());
  ASSERT_TRUE(profiles->GetProfile(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.format(), "json");
}

TEST(JobServiceTest, ProfileMustBeBuiltinOrStored) {
  TestServer ts;
  auto jobs = ts.Jobs();
  const std::string spec = R"({"model":"lenet5","hardware":{"profile":"my-board"}})";
  bitsearch::v1::SubmitJobRequest req;
  req.set_spec_json(spec);
  bitsearch::v1::SubmitJobResponse resp;
  grpc::Status st = jobs->SubmitJob(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "hardware.profile \"my-board\""))
      << st.error_message();
  EXPECT_TRUE(absl::StrContains(st.error_message(), "pulp-xpulpv2")) << st.error_message();
  EXPECT_EQ(ListedJobs(*jobs), 0) << "a refused job was stored";

  SubmitOk(*jobs, "", R"({"model":"lenet5","hardware":{"profile":"pulp-xpulpnn"}})");
  bitsearch::v1::PutProfileRequest put;
  put.mutable_profile()->set_name("my-board");
  put.mutable_profile()->set_format("csv");
  put.mutable_profile()->set_content(kMeasuredCsv);
  bitsearch::v1::Profile stored;
  ASSERT_TRUE(ts.Profiles()->PutProfile(Ctx().get(), put, &stored).ok());
  std::string id = SubmitOk(*jobs, "", spec);

  // The lease carries the stored profile, converted to the JSON the pipeline reads.
  bitsearch::v1::LeaseRequest lreq;
  lreq.set_worker_id("w1");
  bitsearch::v1::LeaseResponse lease;
  ASSERT_TRUE(ts.Workers()->Lease(Ctx().get(), lreq, &lease).ok());
  ASSERT_TRUE(lease.leased());
  EXPECT_TRUE(lease.profile_json().empty()) << "the older job names a built-in";
  ASSERT_TRUE(ts.Workers()->Lease(Ctx().get(), lreq, &lease).ok());
  ASSERT_TRUE(lease.leased());
  EXPECT_EQ(lease.lease().job_id(), id);
  EXPECT_TRUE(absl::StrContains(lease.profile_json(), "\"kind\": \"lut\"")) << lease.profile_json();
  EXPECT_TRUE(absl::StrContains(lease.profile_json(), "\"name\": \"my-board\""));
}

TEST(ServerTest, HealthReflectionAndMetrics) {
  TestServer ts(/*auth=*/false, /*lease_seconds=*/30, /*max_attempts=*/3, /*metrics=*/true);
  EXPECT_EQ(HealthStatus(ts.channel()), "SERVING");
  EXPECT_EQ(HealthStatus(ts.channel(), "bitsearch.v1.JobService"), "SERVING");
  SubmitOk(*ts.Jobs());
  auto get = JobRequest<bitsearch::v1::GetJobRequest>("nope");
  bitsearch::v1::Job job;
  (void)ts.Jobs()->GetJob(Ctx().get(), get, &job);
  ASSERT_TRUE(ts.server().reaper().RunOnce().ok());
  std::string text = HttpGet("127.0.0.1", ts.server().metrics_port(), "/metrics");
  for (const char* want :
       {"bitsearch_rpc_total{code=\"OK\",method=\"bitsearch.v1.JobService/SubmitJob\"} 1",
        "bitsearch_rpc_total{code=\"NOT_FOUND\",method=\"bitsearch.v1.JobService/GetJob\"} 1",
        "bitsearch_rpc_duration_seconds_bucket{method=\"bitsearch.v1.JobService/SubmitJob\"",
        "bitsearch_job_submissions_total{outcome=\"accepted\"} 1",
        "bitsearch_jobs{state=\"QUEUED\"} 1", "bitsearch_connected_workers 0",
        "bitsearch_queue_wait_seconds_count 0"}) {
    EXPECT_TRUE(absl::StrContains(text, want)) << want << "\n" << text;
  }
}

// What SIGTERM does (server_main.cc calls Shutdown() from its signal thread): a client watching
// health sees NOT_SERVING while the server is still draining its in-flight calls (the watch
// stream is one), then the database is closed with its WAL checkpointed and reopens intact.
TEST(ServerTest, ShutdownGoesNotServingWhileDrainingThenClosesTheDatabase) {
  TestServer ts;
  ts.options().drain_seconds = 2;
  std::string id = SubmitOk(*ts.Jobs());

  grpc::GenericStub stub(ts.channel());
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&ctx, "/grpc.health.v1.Health/Watch", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto next = [&] {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(next());
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);  // HealthCheckRequest{service = ""}: the whole server
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(next());
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(next());
  auto read_status = [&]() -> std::string {
    grpc::ByteBuffer resp;
    call->Read(&resp, reinterpret_cast<void*>(4));
    if (!next()) return "END";
    return HealthStatusOf(resp);
  };
  ASSERT_EQ(read_status(), "SERVING");

  std::atomic<bool> shutdown_returned{false};
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    ts.Stop();
    shutdown_returned = true;
  });
  EXPECT_EQ(read_status(), "NOT_SERVING");
  EXPECT_FALSE(shutdown_returned.load()) << "NOT_SERVING came only after the drain";
  while (read_status() != "END") {
  }
  grpc::Status finish;
  call->Finish(&finish, reinterpret_cast<void*>(5));
  next();
  stopper.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, ts.options().drain_seconds + 5.0) << "drain did not respect its deadline";
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }

  // The store is closed: calls fail cleanly rather than touch a closed handle.
  EXPECT_EQ(ts.server().store().GetJob(id).status().code(), absl::StatusCode::kUnavailable);
  std::error_code ec;
  auto wal_size = std::filesystem::file_size(ts.options().db_path + "-wal", ec);
  EXPECT_TRUE(ec || wal_size == 0) << "WAL not checkpointed on close: " << wal_size << " bytes";
  auto reopened = SqliteJobStore::Open(ts.options().db_path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto job = (*reopened)->GetJob(id);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state, JobState::kQueued);
  ASSERT_TRUE((*reopened)->Close().ok());
}

TEST(ServerTest, RefusesNonLoopbackWithoutTokens) {
  ServerOptions o;
  o.listen = "0.0.0.0:0";
  o.metrics = "";
  o.db_path = "/nonexistent/never-opened.db";
  auto server = Server::BuildAndStart(o, std::make_shared<prometheus::Registry>());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(server.status().message(), "token")) << server.status();
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:1"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:1"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:1"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:1"));
}

}  // namespace
}  // namespace bitsearch::server::testing
