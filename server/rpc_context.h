// What every RPC handler needs (the JobManager core, auth, the RPC metrics), bundled so services
// take one injected object, plus the helper that runs a unary handler: authentication, body,
// status mapping and metrics in one place.
//
// Thread-safety: ServiceContext is immutable; the objects it points to are thread-safe.
#ifndef BITSEARCH_SERVER_RPC_CONTEXT_H_
#define BITSEARCH_SERVER_RPC_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <initializer_list>
#include <utility>

#include "server/auth.h"
#include "server/dataset_manager.h"
#include "server/job_manager.h"
#include "server/metrics.h"
#include "server/status_map.h"

namespace bitsearch::server {

struct ServiceContext {
  JobManager* jobs = nullptr;
  DatasetManager* datasets = nullptr;
  const Authenticator* auth = nullptr;
  ServerMetrics* metrics = nullptr;
};

// Measures one call and records it when Finish() is called.
class RpcTimer {
 public:
  RpcTimer(const ServiceContext& sc, const char* method)
      : sc_(sc), method_(method), start_(std::chrono::steady_clock::now()) {}
  grpc::Status Finish(const absl::Status& status) const {
    grpc::Status g = ToGrpcStatus(status);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    sc_.metrics->ObserveRpc(method_, g.error_code(), s);
    return g;
  }

 private:
  const ServiceContext& sc_;
  const char* method_;
  std::chrono::steady_clock::time_point start_;
};

// Runs `body` (taking the authenticated Caller, returning absl::Status) once the caller is
// known to have one of `roles`.
template <typename Body>
grpc::ServerUnaryReactor* RunUnary(const ServiceContext& sc, grpc::CallbackServerContext* ctx,
                                   const char* method, std::initializer_list<Role> roles,
                                   Body&& body) {
  RpcTimer timer(sc, method);
  absl::StatusOr<Caller> caller = sc.auth->Authenticate(ctx, roles, method);
  absl::Status status = caller.ok() ? std::forward<Body>(body)(*caller) : caller.status();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(timer.Finish(status));
  return reactor;
}

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_RPC_CONTEXT_H_
