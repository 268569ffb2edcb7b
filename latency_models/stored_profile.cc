#include "latency_models/stored_profile.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "latency_models/builtin_profiles.h"
#include "latency_models/measured_csv.h"
#include "latency_models/profile_json.h"

namespace bitsearch {
namespace {

absl::Status Prefixed(const absl::Status& st, const std::string& prefix) {
  return absl::Status(st.code(), absl::StrCat(prefix, ": ", st.message()));
}

}  // namespace

bool IsBuiltinProfile(const std::string& name) {
  for (const EmbeddedProfile& p : BuiltinProfileSources()) {
    if (name == p.name) return true;
  }
  return false;
}

absl::StatusOr<std::string> StoredProfileJson(const std::string& name, const std::string& format,
                                              const std::string& content,
                                              const std::string& field) {
  std::string json_text;
  if (format == "json") {
    json_text = content;
  } else if (format == "csv") {
    // ParseMeasuredCsv names line and column, prefixed with `field` as the source.
    absl::StatusOr<std::vector<LatencyRow>> rows = ParseMeasuredCsv(content, field);
    if (!rows.ok()) return absl::InvalidArgumentError(rows.status().message());
    json_text = LutProfileJson(name, kStoredCsvUnit, "measured table uploaded to the server",
                               *rows, /*allow_fallback=*/false);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("profile.format '", format, "' is not one of: json, csv"));
  }
  absl::StatusOr<ParsedProfile> parsed = ParseProfileJson(json_text);
  if (!parsed.ok()) {
    return Prefixed(absl::InvalidArgumentError(parsed.status().message()), field);
  }
  if (parsed->info.name != name) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": the profile names itself '",
                                                   parsed->info.name, "', not '", name, "'"));
  }
  return json_text;
}

}  // namespace bitsearch
