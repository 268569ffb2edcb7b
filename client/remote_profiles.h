// ProfileServer over gRPC: `bitsearch profiles list|show|import` against a bitsearch server's
// ProfileService, with the connection resolved like every other server command (service_client.h).
//
// Thread-safety: one command at a time, from main's thread.
#ifndef BITSEARCH_CLIENT_REMOTE_PROFILES_H_
#define BITSEARCH_CLIENT_REMOTE_PROFILES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "client/profile_commands.h"

namespace bitsearch {

// Connects lazily: the first call reaches the server. Errors come back as statuses whose message
// is one line a person can act on ("server unreachable at ...", the server's INVALID_ARGUMENT).
absl::StatusOr<std::unique_ptr<ProfileServer>> ConnectProfileServer(
    const ProfileServerFlags& flags);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_REMOTE_PROFILES_H_
