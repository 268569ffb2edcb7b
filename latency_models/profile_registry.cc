#include "latency_models/profile_registry.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "latency_models/builtin_profiles.h"
#include "latency_models/measured_csv.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

const EmbeddedProfile* FindBuiltin(const std::string& name) {
  for (const EmbeddedProfile& p : BuiltinProfileSources()) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

std::string StoredPath(const std::string& profiles_dir, const std::string& name) {
  return (fs::path(profiles_dir) / (name + ".json")).string();
}

absl::Status PrefixStatus(const absl::Status& st, const std::string& prefix) {
  return absl::Status(st.code(), absl::StrCat(prefix, st.message()));
}

}  // namespace

std::string DefaultProfilesDir() {
  if (const char* home = std::getenv("BITSEARCH_HOME"); home != nullptr && *home != '\0') {
    return (fs::path(home) / "profiles").string();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return (fs::path(home) / ".bitsearch" / "profiles").string();
  }
  return (fs::path(".bitsearch") / "profiles").string();
}

absl::StatusOr<std::vector<ProfileListing>> ListProfiles(const std::string& profiles_dir) {
  std::vector<ProfileListing> out;
  for (const EmbeddedProfile& p : BuiltinProfileSources()) {
    ProfileListing l;
    absl::StatusOr<ParsedProfile> parsed = ParseProfileJson(p.json);
    if (parsed.ok()) {
      l.info = parsed->info;
    } else {
      l.info.name = p.name;
      l.error = std::string(parsed.status().message());
    }
    l.info.builtin = true;
    out.push_back(std::move(l));
  }
  std::error_code ec;
  if (!fs::is_directory(profiles_dir, ec)) return out;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(profiles_dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  if (ec) {
    return absl::InternalError(absl::StrCat(profiles_dir, ": cannot list: ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    ProfileListing l;
    l.info.name = f.stem().string();
    l.info.path = f.string();
    absl::StatusOr<std::string> text = ReadFileToString(f.string());
    absl::StatusOr<ParsedProfile> parsed =
        text.ok() ? ParseProfileJson(*text) : absl::StatusOr<ParsedProfile>(text.status());
    if (parsed.ok()) {
      l.info = parsed->info;
      l.info.path = f.string();
      if (l.info.name != f.stem().string()) {
        l.error = absl::StrCat("file name and profile name '", l.info.name, "' differ");
      }
    } else {
      l.error = std::string(parsed.status().message());
    }
    out.push_back(std::move(l));
  }
  return out;
}

absl::StatusOr<std::string> ProfileJsonText(const std::string& name,
                                            const std::string& profiles_dir) {
  if (absl::Status st = ValidateProfileName(name); !st.ok()) return st;
  if (const EmbeddedProfile* p = FindBuiltin(name)) return std::string(p->json);
  absl::StatusOr<std::string> text = ReadFileToString(StoredPath(profiles_dir, name));
  if (text.ok() || !absl::IsNotFound(text.status())) return text;
  std::vector<std::string> names;
  absl::StatusOr<std::vector<ProfileListing>> all = ListProfiles(profiles_dir);
  if (all.ok()) {
    for (const ProfileListing& l : *all) names.push_back(l.info.name);
  }
  return absl::NotFoundError(absl::StrCat("unknown profile '", name, "' (known: ",
                                          absl::StrJoin(names, ", "), "; imported profiles live in ",
                                          profiles_dir, ")"));
}

absl::StatusOr<ParsedProfile> LoadProfileWithInfo(const std::string& name,
                                                  const std::string& profiles_dir) {
  absl::StatusOr<std::string> text = ProfileJsonText(name, profiles_dir);
  if (!text.ok()) return text.status();
  const bool builtin = FindBuiltin(name) != nullptr;
  absl::StatusOr<ParsedProfile> parsed = ParseProfileJson(*text);
  if (!parsed.ok()) {
    return PrefixStatus(parsed.status(),
                        builtin ? absl::StrCat("built-in profile '", name, "': ")
                                : absl::StrCat(StoredPath(profiles_dir, name), ": "));
  }
  if (parsed->info.name != name) {
    return absl::InvalidArgumentError(absl::StrCat(StoredPath(profiles_dir, name),
                                                   ": names itself '", parsed->info.name, "'"));
  }
  parsed->info.builtin = builtin;
  if (!builtin) parsed->info.path = StoredPath(profiles_dir, name);
  return parsed;
}

absl::StatusOr<std::unique_ptr<LatencyModel>> LoadProfile(const std::string& name,
                                                          const std::string& profiles_dir) {
  absl::StatusOr<ParsedProfile> p = LoadProfileWithInfo(name, profiles_dir);
  if (!p.ok()) return p.status();
  return std::move(p->model);
}

absl::StatusOr<ProfileInfo> StoreProfileJson(const std::string& json_text,
                                             const std::string& profiles_dir) {
  absl::StatusOr<ParsedProfile> parsed = ParseProfileJson(json_text);
  if (!parsed.ok()) return parsed.status();
  const std::string& name = parsed->info.name;
  if (FindBuiltin(name) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("'", name, "' is a built-in profile; choose another name"));
  }
  const std::string path = StoredPath(profiles_dir, name);
  if (absl::Status st = WriteFileAtomically(path, json_text); !st.ok()) return st;
  parsed->info.path = path;
  return parsed->info;
}

absl::StatusOr<ProfileInfo> ImportMeasuredCsv(const std::string& csv_path, const std::string& name,
                                              const std::string& profiles_dir,
                                              const ImportOptions& options) {
  if (absl::Status st = ValidateProfileName(name); !st.ok()) return st;
  if (options.unit != "seconds" && options.unit != "cycles") {
    return absl::InvalidArgumentError(
        absl::StrCat("unit '", options.unit, "' is not seconds or cycles"));
  }
  absl::StatusOr<std::string> text = ReadFileToString(csv_path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<LatencyRow>> rows = ParseMeasuredCsv(*text, csv_path);
  if (!rows.ok()) return rows.status();
  const std::string description =
      options.description.empty() ? absl::StrCat("measured table imported from ", csv_path)
                                  : options.description;
  return StoreProfileJson(LutProfileJson(name, options.unit, description, *rows,
                                         options.allow_fallback),
                          profiles_dir);
}

}  // namespace bitsearch
