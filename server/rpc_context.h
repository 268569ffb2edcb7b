// What every RPC handler needs (store, blobs, auth, metrics, clock, hub, limits), bundled so
// services take one injected object, plus the helper that runs a unary handler: auth check,
// body, status mapping and metrics in one place.
//
// Thread-safety: ServiceContext is immutable; the objects it points to are thread-safe.
#ifndef BITSEARCH_SERVER_RPC_CONTEXT_H_
#define BITSEARCH_SERVER_RPC_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "server/auth.h"
#include "server/blob_store.h"
#include "server/clock.h"
#include "server/event_hub.h"
#include "server/job_store.h"
#include "server/metrics.h"
#include "server/status_map.h"

namespace bitsearch::server {

// Size limits enforced before anything is stored.
struct Limits {
  int64_t max_spec_bytes = 256 << 10;
  int64_t max_model_bytes = 64 << 20;
  int64_t max_result_bytes = 16 << 20;
  int64_t max_profile_bytes = 8 << 20;
  int64_t max_checkpoint_bytes = int64_t{4} << 30;
  int64_t checkpoint_chunk_bytes = 1 << 20;
  int max_events_per_report = 1000;
  int max_page_size = 1000;
  // gRPC refuses any single message above this (RESOURCE_EXHAUSTED naming both sizes).
  int max_message_bytes = (64 << 20) + (1 << 20);
};

struct ServiceContext {
  JobStore* store = nullptr;
  BlobStore* blobs = nullptr;
  const Authenticator* auth = nullptr;
  ServerMetrics* metrics = nullptr;
  const Clock* clock = nullptr;
  EventHub* hub = nullptr;
  Limits limits;
  int64_t lease_ms = 60'000;
  int max_attempts = 3;
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

// Runs `body` (returning absl::Status) after checking that the caller has one of `roles`.
template <typename Body>
grpc::ServerUnaryReactor* RunUnary(const ServiceContext& sc, grpc::CallbackServerContext* ctx,
                                   const char* method, std::initializer_list<Role> roles,
                                   Body&& body) {
  RpcTimer timer(sc, method);
  absl::Status status = sc.auth->Check(ctx, roles, method);
  if (status.ok()) status = std::forward<Body>(body)();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(timer.Finish(status));
  return reactor;
}

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_RPC_CONTEXT_H_
