// Profiles as a bitsearch server stores them: a name, a format ("json": a profile as
// profile_json.h reads it; "csv": a measured table as measured_csv.h reads it) and the uploaded
// text. This turns such a record into the profile JSON the pipeline runs with
// (RunOptions::profile_json), validating it with the real parsers, so the server refuses what a
// worker could not run and the client shows a server's profile the way it shows a local one.
//
// Thread-safety: free functions without shared state.
#ifndef BITSEARCH_LATENCY_MODELS_STORED_PROFILE_H_
#define BITSEARCH_LATENCY_MODELS_STORED_PROFILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bitsearch {

// Unit assumed for the latency column of an uploaded measured CSV (it carries no unit).
inline constexpr char kStoredCsvUnit[] = "seconds";

// True when `name` is one of the profiles compiled into the binaries.
bool IsBuiltinProfile(const std::string& name);

// The profile JSON for a stored record. InvalidArgument, prefixed with `field` (e.g.
// "profile.content"), when the text does not parse: the JSON parser's line and column, or the
// CSV's line and column name; also when a JSON profile names itself other than `name`.
absl::StatusOr<std::string> StoredProfileJson(const std::string& name, const std::string& format,
                                              const std::string& content,
                                              const std::string& field = "profile.content");

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_STORED_PROFILE_H_
