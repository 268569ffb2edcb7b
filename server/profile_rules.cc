#include "server/profile_rules.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/quote.h"
#include "base/status_macros.h"
#include "latency_models/builtin_profiles.h"
#include "latency_models/profile_json.h"
#include "latency_models/stored_profile.h"
#include "nlohmann/json.hpp"

namespace bitsearch::server {

absl::Status ValidateProfileRequestName(const std::string& name) {
  absl::Status st = ValidateProfileName(name);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("profile.name: ", st.message()));
  return absl::OkStatus();
}

absl::Status ValidateProfile(const Profile& p, int64_t max_bytes) {
  BS_RETURN_IF_ERROR(ValidateProfileRequestName(p.name));
  if (IsBuiltinProfile(p.name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "profile.name ", Quoted(p.name), " is a built-in profile; choose another name"));
  }
  if (static_cast<int64_t>(p.content.size()) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("profile.content is ", p.content.size(),
                                                   " bytes; the limit is ", max_bytes));
  }
  if (p.content.empty()) return absl::InvalidArgumentError("profile.content is empty");
  // The parsers a worker's pipeline uses: what is stored here is what a job can run with.
  return StoredProfileJson(p.name, p.format, p.content, "profile.content").status();
}

absl::Status CheckJobProfile(ProfileStore& store, const std::string& profile) {
  if (IsBuiltinProfile(profile)) return absl::OkStatus();
  absl::StatusOr<Profile> stored = store.GetProfile(profile);
  if (stored.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(stored.status())) return stored.status();
  std::vector<std::string> builtins;
  for (const EmbeddedProfile& p : BuiltinProfileSources()) builtins.push_back(p.name);
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid spec: hardware.profile ", Quoted(profile), " is neither a built-in profile (",
      absl::StrJoin(builtins, ", "),
      ") nor stored in the server (upload it with `bitsearch profiles import`)"));
}

absl::StatusOr<std::string> ProfileJsonForJob(ProfileStore& store, const std::string& spec_json) {
  nlohmann::json spec = nlohmann::json::parse(spec_json, nullptr, /*allow_exceptions=*/false);
  std::string name;
  if (spec.is_object() && spec.contains("hardware") && spec["hardware"].is_object() &&
      spec["hardware"].contains("profile") && spec["hardware"]["profile"].is_string()) {
    name = spec["hardware"]["profile"].get<std::string>();
  }
  if (name.empty() || IsBuiltinProfile(name)) return std::string();
  BS_ASSIGN_OR_RETURN(Profile p, store.GetProfile(name));
  return StoredProfileJson(p.name, p.format, p.content, absl::StrCat("stored profile ", name));
}

}  // namespace bitsearch::server
