// Latency profiles stored by name, as uploaded (ProfileService). Part of the server's store
// (job_store.h).
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef BITSEARCH_SERVER_PROFILE_STORE_H_
#define BITSEARCH_SERVER_PROFILE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/job_records.h"

namespace bitsearch::server {

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;
  // Inserts or replaces the profile of that name.
  virtual absl::Status PutProfile(const Profile& profile, int64_t now_ms) = 0;
  // NOT_FOUND for an unknown name.
  virtual absl::StatusOr<Profile> GetProfile(const std::string& name) = 0;
  // Without content, sorted by name.
  virtual absl::StatusOr<std::vector<Profile>> ListProfiles() = 0;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_PROFILE_STORE_H_
