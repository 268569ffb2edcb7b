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

// The callback-API types every service declaration names, short so that one RPC reads as one
// line. (`v1::` already names bitsearch::v1 from inside bitsearch::server.)
using Unary = grpc::ServerUnaryReactor;
using Ctx = grpc::CallbackServerContext;

// The base of every service implementation: it holds the injected context the handlers use.
template <typename CallbackService>
class ServiceImpl : public CallbackService {
 public:
  explicit ServiceImpl(const ServiceContext& context) : sc_(context) {}

 protected:
  const ServiceContext& sc_;
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
Unary* RunUnary(const ServiceContext& sc, Ctx* ctx, const char* method,
                std::initializer_list<Role> roles, Body&& body) {
  RpcTimer timer(sc, method);
  absl::StatusOr<Caller> caller = sc.auth->Authenticate(ctx, roles, method);
  absl::Status status = caller.ok() ? std::forward<Body>(body)(*caller) : caller.status();
  Unary* reactor = ctx->DefaultReactor();
  reactor->Finish(timer.Finish(status));
  return reactor;
}

// The usual unary handler: `call` (taking the Caller) asks a manager for an absl::StatusOr<T>,
// and on success `reply` writes the T into the response; an error skips `reply` and becomes the
// RPC's status. Handlers then hold only what differs: the call and the conversion.
template <typename Call, typename Reply>
Unary* RunUnaryCall(const ServiceContext& sc, Ctx* ctx, const char* method,
                    std::initializer_list<Role> roles, Call&& call, Reply&& reply) {
  return RunUnary(sc, ctx, method, roles, [&](const Caller& caller) -> absl::Status {
    auto value = std::forward<Call>(call)(caller);
    if (!value.ok()) return value.status();
    std::forward<Reply>(reply)(*value);
    return absl::OkStatus();
  });
}

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_RPC_CONTEXT_H_
