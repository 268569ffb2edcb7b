// The one mapping from absl::Status (what the store and validators return) to grpc::Status
// (what goes on the wire). STYLE.md: map statuses to gRPC codes in one function.
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_SERVER_STATUS_MAP_H_
#define BITSEARCH_SERVER_STATUS_MAP_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace bitsearch::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_STATUS_MAP_H_
