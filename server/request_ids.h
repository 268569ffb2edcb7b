// The checks every id a request carries gets (job_id, sweep_id, worker_id, lease.job_id,
// client_request_id), in one place so that the jobs, sweeps and worker parts of the JobManager
// refuse an id with the same limit and the same words.
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_SERVER_REQUEST_IDS_H_
#define BITSEARCH_SERVER_REQUEST_IDS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bitsearch::server {

// Ids are stored and echoed in messages; longer ones are refused rather than cut.
inline constexpr size_t kMaxIdBytes = 128;

// INVALID_ARGUMENT "FIELD is longer than 128 bytes" when `id` is; OK otherwise (also when empty).
absl::Status CheckIdLength(absl::string_view field, const std::string& id);
// CheckIdLength, and INVALID_ARGUMENT "FIELD is required" when `id` is empty.
absl::Status RequireId(absl::string_view field, const std::string& id);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_REQUEST_IDS_H_
