// The profile registry: built-in profiles plus the ones a user imported, stored as JSON files in a
// profiles folder (default $BITSEARCH_HOME/profiles, else ~/.bitsearch/profiles).
//
// This is what the CLI, the server's ProfileService and the job pipeline call to turn a profile
// name into a LatencyModel. Imported names may not shadow built-in ones, so a job spec naming
// "pulp-xpulpv2" means the same thing everywhere. Thread-safety: stateless functions; concurrent
// imports of one name each write a complete file (atomic rename), the last one wins.
#ifndef BITSEARCH_LATENCY_MODELS_PROFILE_REGISTRY_H_
#define BITSEARCH_LATENCY_MODELS_PROFILE_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "latency_models/latency_model.h"
#include "latency_models/profile_json.h"

namespace bitsearch {

// $BITSEARCH_HOME/profiles, else $HOME/.bitsearch/profiles, else ./.bitsearch/profiles.
std::string DefaultProfilesDir();

struct ProfileListing {
  ProfileInfo info;
  std::string error;  // non-empty when a stored file could not be parsed (it is listed anyway)
};

// Built-ins first (sorted), then the *.json files of `profiles_dir` (sorted; a missing folder
// just means none were imported).
absl::StatusOr<std::vector<ProfileListing>> ListProfiles(const std::string& profiles_dir);

// The profile's JSON text (built-in or stored); NotFound names the known profiles.
absl::StatusOr<std::string> ProfileJsonText(const std::string& name,
                                            const std::string& profiles_dir);

// Parses the named profile and returns its info and model.
absl::StatusOr<ParsedProfile> LoadProfileWithInfo(const std::string& name,
                                                  const std::string& profiles_dir);
// LoadProfileWithInfo(...).model.
absl::StatusOr<std::unique_ptr<LatencyModel>> LoadProfile(const std::string& name,
                                                          const std::string& profiles_dir);

// Validates a profile JSON (as PutProfile uploads it) and stores it under its own name.
absl::StatusOr<ProfileInfo> StoreProfileJson(const std::string& json_text,
                                             const std::string& profiles_dir);

struct ImportOptions {
  std::string unit = "seconds";  // unit of the CSV's latency column: "seconds" | "cycles"
  bool allow_fallback = false;   // let unmeasured shapes be scaled from the nearest measured one
  std::string description;       // free text shown by `profiles show`
};

// Reads a measured CSV (ParseMeasuredCsv), checks it and stores it as profile `name`.
absl::StatusOr<ProfileInfo> ImportMeasuredCsv(const std::string& csv_path, const std::string& name,
                                              const std::string& profiles_dir,
                                              const ImportOptions& options = {});

}  // namespace bitsearch

#endif  // BITSEARCH_LATENCY_MODELS_PROFILE_REGISTRY_H_
