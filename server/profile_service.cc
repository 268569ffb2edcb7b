#include "server/profile_service.h"

#include <vector>

#include "base/status_macros.h"
#include "server/proto_convert.h"

namespace bitsearch::server {

grpc::ServerUnaryReactor* ProfileServiceImpl::ListProfiles(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::ListProfilesRequest*,
    bitsearch::v1::ListProfilesResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.ProfileService/ListProfiles",
                  {Role::kClient, Role::kWorker}, [&](const Caller&) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(std::vector<Profile> profiles, sc_.jobs->ListProfiles());
                    for (const Profile& p : profiles) ToProto(p, resp->add_profiles());
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* ProfileServiceImpl::GetProfile(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::GetProfileRequest* req,
    bitsearch::v1::Profile* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.ProfileService/GetProfile",
                  {Role::kClient, Role::kWorker}, [&](const Caller&) -> absl::Status {
                    BS_ASSIGN_OR_RETURN(Profile p, sc_.jobs->GetProfile(req->name()));
                    ToProto(p, resp);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* ProfileServiceImpl::PutProfile(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::PutProfileRequest* req,
    bitsearch::v1::Profile* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.ProfileService/PutProfile", {Role::kClient},
                  [&](const Caller&) -> absl::Status {
                    const bitsearch::v1::Profile& in = req->profile();
                    BS_ASSIGN_OR_RETURN(Profile stored,
                                        sc_.jobs->PutProfile(Profile{in.name(), in.format(),
                                                                     in.content(), 0, 0}));
                    ToProto(stored, resp);
                    return absl::OkStatus();
                  });
}

}  // namespace bitsearch::server
