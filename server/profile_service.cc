#include "server/profile_service.h"

#include <vector>

#include "server/proto_convert.h"

namespace bitsearch::server {

Unary* ProfileServiceImpl::ListProfiles(Ctx* ctx, const v1::ListProfilesRequest*,
                                        v1::ListProfilesResponse* resp) {
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.ProfileService/ListProfiles", {Role::kClient, Role::kWorker},
      [&](const Caller&) { return sc_.jobs->ListProfiles(); },
      [&](const std::vector<Profile>& profiles) {
        for (const Profile& p : profiles) ToProto(p, resp->add_profiles());
      });
}

Unary* ProfileServiceImpl::GetProfile(Ctx* ctx, const v1::GetProfileRequest* req,
                                      v1::Profile* resp) {
  return RunUnaryCall(sc_, ctx, "bitsearch.v1.ProfileService/GetProfile",
                      {Role::kClient, Role::kWorker},
                      [&](const Caller&) { return sc_.jobs->GetProfile(req->name()); },
                      [&](const Profile& p) { ToProto(p, resp); });
}

Unary* ProfileServiceImpl::PutProfile(Ctx* ctx, const v1::PutProfileRequest* req,
                                      v1::Profile* resp) {
  const v1::Profile& in = req->profile();
  return RunUnaryCall(
      sc_, ctx, "bitsearch.v1.ProfileService/PutProfile", {Role::kClient},
      [&](const Caller&) {
        return sc_.jobs->PutProfile(Profile{in.name(), in.format(), in.content(), 0, 0});
      },
      [&](const Profile& stored) { ToProto(stored, resp); });
}

}  // namespace bitsearch::server
