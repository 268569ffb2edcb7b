// bitsearch.v1.ProfileService: latency profiles stored by name, as the uploaded text. What may be
// stored is decided by profile_rules.h (through the JobManager); handlers only convert.
//
// Thread-safety: handlers run concurrently on gRPC threads; state lives in the JobManager.
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

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_PROFILE_SERVICE_H_
