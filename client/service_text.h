// How the service commands (jobs, sweeps) print what the server sends: state names, times and
// table cells. One definition, so `bitsearch list` and `bitsearch sweep list` read alike.
//
// Thread-safety: pure functions.
#ifndef BITSEARCH_CLIENT_SERVICE_TEXT_H_
#define BITSEARCH_CLIENT_SERVICE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "bitsearch/v1/jobs.pb.h"

namespace bitsearch {

// "RUNNING" for JOB_STATE_RUNNING (the enum name without its prefix).
std::string JobStateText(v1::JobState state);
// "YYYY-MM-DD HH:MM:SS" in the local time zone; "-" for a time the server has not set (<= 0).
std::string LocalTimeText(int64_t unix_ms);
// A server string for a table column of `width`: printable, cut to fit.
std::string TableCell(const std::string& s, size_t width);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_SERVICE_TEXT_H_
