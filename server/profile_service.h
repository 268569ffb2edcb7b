// bitsearch.v1.ProfileService: latency profiles stored by name, as the uploaded text. PutProfile
// parses the content with the latency models' own parsers (ParseProfileJson, ParseMeasuredCsv via
// latency_models/stored_profile.h) and stores nothing it could not run, so a job naming a stored
// profile never fails on a malformed one.
//
// Thread-safety: handlers run concurrently on gRPC threads; state lives in the injected store.
#ifndef BITSEARCH_SERVER_PROFILE_SERVICE_H_
#define BITSEARCH_SERVER_PROFILE_SERVICE_H_

#include "bitsearch/v1/profiles.grpc.pb.h"
#include "server/rpc_context.h"

namespace bitsearch::server {

class ProfileServiceImpl final : public bitsearch::v1::ProfileService::CallbackService {
 public:
  explicit ProfileServiceImpl(const ServiceContext& context) : sc_(context) {}

  grpc::ServerUnaryReactor* ListProfiles(grpc::CallbackServerContext* ctx,
                                         const bitsearch::v1::ListProfilesRequest* request,
                                         bitsearch::v1::ListProfilesResponse* response) override;
  grpc::ServerUnaryReactor* GetProfile(grpc::CallbackServerContext* ctx,
                                       const bitsearch::v1::GetProfileRequest* request,
                                       bitsearch::v1::Profile* response) override;
  grpc::ServerUnaryReactor* PutProfile(grpc::CallbackServerContext* ctx,
                                       const bitsearch::v1::PutProfileRequest* request,
                                       bitsearch::v1::Profile* response) override;

 private:
  const ServiceContext& sc_;
};

// INVALID_ARGUMENT naming the field when the profile cannot be stored as given.
absl::Status ValidateProfile(const bitsearch::v1::Profile& profile, int64_t max_bytes);

// OK when a job may name `profile` in hardware.profile: a built-in or a profile in `store`;
// INVALID_ARGUMENT naming hardware.profile otherwise.
absl::Status CheckJobProfile(JobStore& store, const std::string& profile);

// The profile JSON a worker runs `spec_json` (a stored, normalised spec) with: "" when its
// hardware.profile is a built-in, else the stored profile converted by StoredProfileJson.
absl::StatusOr<std::string> ProfileJsonForJob(JobStore& store, const std::string& spec_json);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_PROFILE_SERVICE_H_
