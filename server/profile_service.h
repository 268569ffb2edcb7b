// bitsearch.v1.ProfileService: latency profiles stored by name, as the uploaded text. What may be
// stored is decided by profile_rules.h (through the JobManager); handlers only convert.
//
// Thread-safety: handlers run concurrently on gRPC threads; state lives in the JobManager.
#ifndef BITSEARCH_SERVER_PROFILE_SERVICE_H_
#define BITSEARCH_SERVER_PROFILE_SERVICE_H_

#include "bitsearch/v1/profiles.grpc.pb.h"
#include "server/rpc_context.h"

namespace bitsearch::server {

class ProfileServiceImpl final : public ServiceImpl<v1::ProfileService::CallbackService> {
 public:
  using ServiceImpl::ServiceImpl;

  Unary* ListProfiles(Ctx* ctx, const v1::ListProfilesRequest* req,
                      v1::ListProfilesResponse* resp) override;
  Unary* GetProfile(Ctx* ctx, const v1::GetProfileRequest* req, v1::Profile* resp) override;
  Unary* PutProfile(Ctx* ctx, const v1::PutProfileRequest* req, v1::Profile* resp) override;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_PROFILE_SERVICE_H_
