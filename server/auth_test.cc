// Bearer-token roles: a client token cannot call WorkerService, a worker token cannot submit,
// a missing or unknown token is UNAUTHENTICATED.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "server/test_server.h"

namespace bitsearch::server::testing {
namespace {

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

TEST(AuthTest, TokenFilesAreValidated) {
  // A folder of its own: two suites (or two checkouts) may run at once on one machine.
  std::string tmpl = (std::filesystem::temp_directory_path() / "bitsearch-auth-XXXXXX").string();
  std::string dir = mkdtemp(tmpl.data());
  std::string empty = dir + "/empty.tokens";
  std::ofstream(empty) << "# nothing\n\n";
  EXPECT_EQ(Authenticator::FromOptions({empty, "", "", false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::FromOptions({dir + "/missing.tokens", "", "", false}).status().code(),
            absl::StatusCode::kNotFound);
  std::string same = dir + "/same.tokens";
  std::ofstream(same) << "t1\n";
  EXPECT_EQ(Authenticator::FromOptions({same, same, "", false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::FromOptions({same, "", same, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto none = Authenticator::FromOptions({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)->enabled());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bitsearch::server::testing
