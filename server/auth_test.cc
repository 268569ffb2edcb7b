// Bearer-token roles: a client token cannot call WorkerService, a worker token cannot submit,
// a missing or unknown token is UNAUTHENTICATED.
#include <gtest/gtest.h>


#include <algorithm>
#include <fstream>
#include <functional>
#include <vector>

#include "absl/strings/match.h"
#include "base/test_temp_dir.h"
#include "google/protobuf/descriptor.h"
#include "server/test_server.h"

namespace bitsearch::server::testing {
namespace {

using JobStub = bitsearch::v1::JobService::Stub;
using ProfileStub = bitsearch::v1::ProfileService::Stub;
using WorkerStub = bitsearch::v1::WorkerService::Stub;

// A unary call of `method` on `stub` with `request` and a token, for the tables of calls below:
// only the status matters, the response is dropped.
template <typename Stub, typename Request, typename Response>
std::function<grpc::Status(const std::string& token)> Unary(
    Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request) {
  return [stub, method, request](const std::string& token) {
    Response out;
    return (stub->*method)(Ctx(token).get(), request, &out);
  };
}

TEST(AuthTest, RolesAreEnforced) {
  TestServer ts(/*auth=*/true);
  auto jobs = ts.Jobs();
  auto workers = ts.Workers();
  auto profiles = ts.Profiles();
  bitsearch::v1::SubmitJobRequest submit;
  submit.set_spec_json(kSmallSpec);
  bitsearch::v1::SubmitJobResponse submitted;

  grpc::Status st = jobs->SubmitJob(Ctx().get(), submit, &submitted);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "missing bearer token")) << st.error_message();
  EXPECT_EQ(jobs->SubmitJob(Ctx("wrong").get(), submit, &submitted).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto raw = Ctx();
  raw->AddMetadata("authorization", kClientToken);  // no "Bearer " prefix
  EXPECT_EQ(jobs->SubmitJob(raw.get(), submit, &submitted).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  st = jobs->SubmitJob(Ctx(kWorkerToken).get(), submit, &submitted);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(jobs->SubmitJob(Ctx(kClientToken).get(), submit, &submitted).ok());

  bitsearch::v1::LeaseRequest lease;
  lease.set_worker_id("w1");
  bitsearch::v1::LeaseResponse leased;
  EXPECT_EQ(workers->Lease(Ctx(kClientToken).get(), lease, &leased).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(workers->Lease(Ctx().get(), lease, &leased).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(workers->Lease(Ctx(kWorkerToken).get(), lease, &leased).ok());
  EXPECT_TRUE(leased.leased());

  // Streaming calls check too.
  bitsearch::v1::UploadCheckpointResponse up;
  auto uctx = Ctx(kClientToken);
  auto writer = workers->UploadCheckpoint(uctx.get(), &up);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  bitsearch::v1::WatchJobRequest watch;
  watch.set_job_id(submitted.job().id());
  auto wctx = Ctx(kWorkerToken);
  auto reader = jobs->WatchJob(wctx.get(), watch);
  bitsearch::v1::JobEvent e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Profiles: both roles read, only clients write.
  bitsearch::v1::ListProfilesResponse list;
  EXPECT_TRUE(profiles->ListProfiles(Ctx(kWorkerToken).get(), {}, &list).ok());
  EXPECT_TRUE(profiles->ListProfiles(Ctx(kClientToken).get(), {}, &list).ok());
  bitsearch::v1::PutProfileRequest put;
  put.mutable_profile()->set_name("p");
  put.mutable_profile()->set_format("json");
  put.mutable_profile()->set_content(R"({"name": "p", "kind": "bops"})");
  bitsearch::v1::Profile stored;
  EXPECT_EQ(profiles->PutProfile(Ctx(kWorkerToken).get(), put, &stored).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(profiles->PutProfile(Ctx(kClientToken).get(), put, &stored).ok());
}

// Every RPC of every service x {no token, a wrong token, the other role's token}: refused
// with UNAUTHENTICATED or PERMISSION_DENIED, and nothing changes; the right role gets through.
// grpc.health.v1 and server reflection stay open (probes; schema only): see
// docs/SERVICE_SECURITY.md.
TEST(AuthTest, EveryRpcRefusesMissingWrongAndOtherRoleTokens) {
  TestServer ts(/*auth=*/true);
  auto jobs = ts.Jobs();
  auto workers = ts.Workers();
  auto profiles = ts.Profiles();
  std::string queued = SubmitOk(*jobs, kClientToken);
  std::string running = SubmitOk(*jobs, kClientToken);
  bitsearch::v1::LeaseRequest lreq;
  lreq.set_worker_id("w1");
  bitsearch::v1::LeaseResponse leased;
  ASSERT_TRUE(workers->Lease(Ctx(kWorkerToken).get(), lreq, &leased).ok());
  ASSERT_EQ(leased.lease().job_id(), queued);  // the oldest; `running` stays queued for Lease
  const bitsearch::v1::LeaseRef lease = leased.lease();
  // A sweep (its jobs queue behind `running`) for the sweep RPCs.
  bitsearch::v1::SubmitSweepRequest sweep_req;
  sweep_req.set_spec_json(
      R"({"model":"lenet5","dataset":{"name":"synthetic"},"sweep":{"search.mu":[0.1,1]}})");
  bitsearch::v1::SubmitSweepResponse swept;
  ASSERT_TRUE(jobs->SubmitSweep(Ctx(kClientToken).get(), sweep_req, &swept).ok());
  const std::string sweep = swept.sweep().id();
  const int stored_jobs = 2 + swept.sweep().points_size() + swept.sweep().pretrain_jobs_size();

  using Call = std::function<grpc::Status(const std::string& token)>;
  struct Rpc {
    const char* name;
    std::vector<Role> roles;
    Call call;
  };
  // Valid requests, so that only the token decides whether a call gets through.
  auto with_lease = [&lease](auto request) {
    *request.mutable_lease() = lease;
    return request;
  };
  bitsearch::v1::SubmitJobRequest submit;
  submit.set_spec_json(kSmallSpec);
  bitsearch::v1::GetProfileRequest get_profile;
  get_profile.set_name("no-such-profile");
  bitsearch::v1::PutProfileRequest put_profile;
  put_profile.mutable_profile()->set_name("p");
  put_profile.mutable_profile()->set_format("json");
  put_profile.mutable_profile()->set_content(R"({"name": "p", "kind": "bops"})");
  auto progress = with_lease(bitsearch::v1::ReportProgressRequest());
  progress.add_events()->set_type(bitsearch::v1::JobEvent::TYPE_LOG);
  auto complete = with_lease(bitsearch::v1::CompleteRequest());
  complete.set_result_json("{}");
  auto fail = with_lease(bitsearch::v1::FailRequest());
  fail.set_error("x");
  JobStub* j = jobs.get();
  ProfileStub* p = profiles.get();
  WorkerStub* w = workers.get();
  std::vector<Rpc> rpcs = {
      {"JobService/SubmitJob", {Role::kClient}, Unary(j, &JobStub::SubmitJob, submit)},
      {"JobService/GetJob", {Role::kClient},
       Unary(j, &JobStub::GetJob, JobRequest<bitsearch::v1::GetJobRequest>(queued))},
      {"JobService/ListJobs", {Role::kClient}, Unary(j, &JobStub::ListJobs, {})},
      {"JobService/WatchJob", {Role::kClient}, [&](const std::string& token) {
         bitsearch::v1::WatchJobRequest r;
         r.set_job_id(queued);
         auto ctx = Ctx(token);
         auto reader = jobs->WatchJob(ctx.get(), r);
         bitsearch::v1::JobEvent e;
         if (reader->Read(&e)) {  // through: the first event arrived; stop watching
           ctx->TryCancel();
           while (reader->Read(&e)) {
           }
           (void)reader->Finish();
           return grpc::Status::OK;
         }
         return reader->Finish();
       }},
      // FAILED_PRECONDITION (no result yet) once through.
      {"JobService/GetResult", {Role::kClient},
       Unary(j, &JobStub::GetResult, JobRequest<bitsearch::v1::GetResultRequest>(queued))},
      {"ProfileService/ListProfiles", {Role::kClient, Role::kWorker}, Unary(p, &ProfileStub::ListProfiles, {})},
      // NOT_FOUND once through.
      {"ProfileService/GetProfile", {Role::kClient, Role::kWorker}, Unary(p, &ProfileStub::GetProfile, get_profile)},
      {"ProfileService/PutProfile", {Role::kClient}, Unary(p, &ProfileStub::PutProfile, put_profile)},
      {"WorkerService/Lease", {Role::kWorker}, Unary(w, &WorkerStub::Lease, lreq)},
      {"WorkerService/Heartbeat", {Role::kWorker},
       Unary(w, &WorkerStub::Heartbeat, with_lease(bitsearch::v1::HeartbeatRequest()))},
      {"WorkerService/ReportProgress", {Role::kWorker}, Unary(w, &WorkerStub::ReportProgress, progress)},
      {"WorkerService/UploadCheckpoint", {Role::kWorker}, [&](const std::string& token) {
         auto ctx = Ctx(token);
         bitsearch::v1::UploadCheckpointResponse out;
         auto writer = workers->UploadCheckpoint(ctx.get(), &out);
         bitsearch::v1::CheckpointChunk chunk;
         *chunk.mutable_lease() = lease;
         chunk.set_data("ckpt");
         chunk.set_last(true);
         chunk.set_total_bytes(4);
         writer->Write(chunk);
         writer->WritesDone();
         return writer->Finish();
       }},
      {"WorkerService/DownloadCheckpoint", {Role::kWorker}, [&](const std::string& token) {
         auto ctx = Ctx(token);
         bitsearch::v1::DownloadCheckpointRequest r;
         *r.mutable_lease() = lease;
         auto reader = workers->DownloadCheckpoint(ctx.get(), r);
         bitsearch::v1::CheckpointChunk chunk;
         while (reader->Read(&chunk)) {
         }
         return reader->Finish();  // NOT_FOUND (no checkpoint) or OK once through
       }},
      {"WorkerService/Complete", {Role::kWorker}, Unary(w, &WorkerStub::Complete, complete)},
      // FAILED_PRECONDITION after Complete, once through.
      {"WorkerService/Fail", {Role::kWorker}, Unary(w, &WorkerStub::Fail, fail)},
      {"JobService/CancelJob", {Role::kClient},
       Unary(j, &JobStub::CancelJob, JobRequest<bitsearch::v1::CancelJobRequest>(running))},
      {"JobService/SubmitSweep", {Role::kClient}, Unary(j, &JobStub::SubmitSweep, sweep_req)},
      {"JobService/GetSweep", {Role::kClient},
       Unary(j, &JobStub::GetSweep, SweepRequest<bitsearch::v1::GetSweepRequest>(sweep))},
      {"JobService/ListSweeps", {Role::kClient}, Unary(j, &JobStub::ListSweeps, {})},
      // FAILED_PRECONDITION (no result) once through.
      {"JobService/GetSweepResult", {Role::kClient},
       Unary(j, &JobStub::GetSweepResult, SweepRequest<bitsearch::v1::GetSweepResultRequest>(sweep))},
      {"JobService/CancelSweep", {Role::kClient},
       Unary(j, &JobStub::CancelSweep, SweepRequest<bitsearch::v1::CancelSweepRequest>(sweep))},
  };
  // One case per RPC the services declare: a new RPC without a case fails here.
  size_t declared = 0;
  for (const char* service : {"bitsearch.v1.JobService", "bitsearch.v1.WorkerService",
                              "bitsearch.v1.ProfileService"}) {
    const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(d, nullptr) << service;
    declared += static_cast<size_t>(d->method_count());
  }
  ASSERT_EQ(rpcs.size(), declared);

  auto allowed = [](const Rpc& rpc, Role role) {
    return std::find(rpc.roles.begin(), rpc.roles.end(), role) != rpc.roles.end();
  };
  for (const Rpc& rpc : rpcs) {
    EXPECT_EQ(rpc.call("").error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name;
    EXPECT_EQ(rpc.call("not-a-token").error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name;
    for (auto [role, token] : {std::pair{Role::kClient, kClientToken},
                               std::pair{Role::kWorker, kWorkerToken}}) {
      if (!allowed(rpc, role)) {
        EXPECT_EQ(rpc.call(token).error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << rpc.name << " with the " << (role == Role::kClient ? "client" : "worker")
            << " token";
      }
    }
  }
  // Nothing the refused calls asked for happened.
  bitsearch::v1::ListJobsResponse list;
  ASSERT_TRUE(jobs->ListJobs(Ctx(kClientToken).get(), {}, &list).ok());
  ASSERT_EQ(list.jobs_size(), stored_jobs);
  for (const auto& job : list.jobs()) {
    EXPECT_NE(job.state(), bitsearch::v1::JOB_STATE_CANCELLED);
    EXPECT_NE(job.state(), bitsearch::v1::JOB_STATE_SUCCEEDED);
  }

  // The right roles get through (in an order in which each call can succeed).
  for (const Rpc& rpc : rpcs) {
    for (auto [role, token] : {std::pair{Role::kClient, kClientToken},
                               std::pair{Role::kWorker, kWorkerToken}}) {
      if (!allowed(rpc, role)) continue;
      grpc::Status st = rpc.call(token);
      EXPECT_NE(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name;
      EXPECT_NE(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << rpc.name;
      std::string name = rpc.name;
      bool expect_ok = name != "JobService/GetResult" && name != "ProfileService/GetProfile" &&
                       name != "WorkerService/Fail" && name != "JobService/GetSweepResult";
      if (expect_ok) {
        EXPECT_TRUE(st.ok()) << rpc.name << ": " << st.error_message();
      }
    }
  }

  // Open without a token: health (probes) and reflection (the schema, no data).
  EXPECT_EQ(HealthStatus(ts.channel()), "SERVING");
  EXPECT_TRUE(absl::StrContains(ReflectionServices(ts.channel()), "bitsearch.v1.JobService"));
}

// With --job-ownership a client token sees and cancels only its own jobs; an admin token sees
// all of them.
TEST(AuthTest, JobOwnershipKeepsClientsApart) {
  TestServer ts(/*auth=*/true, 30, 3, false, /*ownership=*/true);
  auto jobs = ts.Jobs();
  std::string mine = SubmitOk(*jobs, kClientToken);
  std::string theirs = SubmitOk(*jobs, kOtherClientToken);
  bitsearch::v1::GetJobRequest get;
  get.set_job_id(theirs);
  bitsearch::v1::Job job;
  EXPECT_EQ(jobs->GetJob(Ctx(kClientToken).get(), get, &job).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  bitsearch::v1::CancelJobRequest cancel;
  cancel.set_job_id(theirs);
  EXPECT_EQ(jobs->CancelJob(Ctx(kClientToken).get(), cancel, &job).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  bitsearch::v1::ListJobsResponse list;
  ASSERT_TRUE(jobs->ListJobs(Ctx(kClientToken).get(), {}, &list).ok());
  ASSERT_EQ(list.jobs_size(), 1);
  EXPECT_EQ(list.jobs(0).id(), mine);
  ASSERT_TRUE(jobs->ListJobs(Ctx(kAdminToken).get(), {}, &list).ok());
  EXPECT_EQ(list.jobs_size(), 2);
  EXPECT_TRUE(jobs->CancelJob(Ctx(kAdminToken).get(), cancel, &job).ok());
  EXPECT_EQ(job.state(), bitsearch::v1::JOB_STATE_CANCELLED);
}

TEST(AuthTest, TokenFilesAreValidated) {
  TempDir dir("bitsearch-auth");
  std::string empty = dir.Path("empty.tokens");
  std::ofstream(empty) << "# nothing\n\n";
  EXPECT_EQ(Authenticator::FromOptions({empty, "", "", false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::FromOptions({dir.Path("missing.tokens"), "", "", false}).status().code(),
            absl::StatusCode::kNotFound);
  std::string same = dir.Path("same.tokens");
  std::ofstream(same) << "t1\n";
  EXPECT_EQ(Authenticator::FromOptions({same, same, "", false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::FromOptions({same, "", same, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto none = Authenticator::FromOptions({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)->enabled());
}

}  // namespace
}  // namespace bitsearch::server::testing
