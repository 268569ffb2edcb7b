// What may be stored as a latency profile, and how a job's hardware.profile resolves against the
// store. PutProfile parses the content with the latency models' own parsers (ParseProfileJson,
// ParseMeasuredCsv via latency_models/stored_profile.h) and stores nothing it could not run, so a
// job naming a stored profile never fails on a malformed one.
//
// Thread-safety: pure functions over a thread-safe store.
#ifndef BITSEARCH_SERVER_PROFILE_RULES_H_
#define BITSEARCH_SERVER_PROFILE_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/job_records.h"
#include "server/profile_store.h"

namespace bitsearch::server {

// INVALID_ARGUMENT naming profile.name when it is not a valid profile name.
absl::Status ValidateProfileRequestName(const std::string& name);

// INVALID_ARGUMENT naming the field when the profile cannot be stored as given.
absl::Status ValidateProfile(const Profile& profile, int64_t max_bytes);

// OK when a job may name `profile` in hardware.profile: a built-in or a profile in `store`;
// INVALID_ARGUMENT naming hardware.profile otherwise.
absl::Status CheckJobProfile(ProfileStore& store, const std::string& profile);

// The profile JSON a worker runs `spec_json` (a stored, normalised spec) with: "" when its
// hardware.profile is a built-in, else the stored profile converted by StoredProfileJson.
absl::StatusOr<std::string> ProfileJsonForJob(ProfileStore& store, const std::string& spec_json);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_PROFILE_RULES_H_
