#include "server/profile_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "latency_models/builtin_profiles.h"
#include "latency_models/profile_json.h"
#include "latency_models/stored_profile.h"
#include "nlohmann/json.hpp"
#include "server/proto_convert.h"
#include "server/status_macros.h"

namespace bitsearch::server {
namespace {

absl::Status ValidateName(const std::string& name) {
  absl::Status st = ValidateProfileName(name);
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("profile.name: ", st.message()));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateProfile(const bitsearch::v1::Profile& p, int64_t max_bytes) {
  BS_RETURN_IF_ERROR(ValidateName(p.name()));
  if (IsBuiltinProfile(p.name())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "profile.name '", p.name(), "' is a built-in profile; choose another name"));
  }
  if (static_cast<int64_t>(p.content().size()) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("profile.content is ", p.content().size(),
                                                   " bytes; the limit is ", max_bytes));
  }
  if (p.content().empty()) return absl::InvalidArgumentError("profile.content is empty");
  // The parsers a worker's pipeline uses: what is stored here is what a job can run with.
  return StoredProfileJson(p.name(), p.format(), p.content(), "profile.content").status();
}

absl::Status CheckJobProfile(JobStore& store, const std::string& profile) {
  if (IsBuiltinProfile(profile)) return absl::OkStatus();
  absl::StatusOr<Profile> stored = store.GetProfile(profile);
  if (stored.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(stored.status())) return stored.status();
  std::vector<std::string> builtins;
  for (const EmbeddedProfile& p : BuiltinProfileSources()) builtins.push_back(p.name);
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid spec: hardware.profile '", profile, "' is neither a built-in profile (",
      absl::StrJoin(builtins, ", "),
      ") nor stored in the server (upload it with `bitsearch profiles import`)"));
}

absl::StatusOr<std::string> ProfileJsonForJob(JobStore& store, const std::string& spec_json) {
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

grpc::ServerUnaryReactor* ProfileServiceImpl::ListProfiles(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::ListProfilesRequest*,
    bitsearch::v1::ListProfilesResponse* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.ProfileService/ListProfiles",
                  {Role::kClient, Role::kWorker}, [&]() -> absl::Status {
                    BS_ASSIGN_OR_RETURN(std::vector<Profile> profiles, sc_.store->ListProfiles());
                    for (const Profile& p : profiles) ToProto(p, resp->add_profiles());
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* ProfileServiceImpl::GetProfile(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::GetProfileRequest* req,
    bitsearch::v1::Profile* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.ProfileService/GetProfile",
                  {Role::kClient, Role::kWorker}, [&]() -> absl::Status {
                    BS_RETURN_IF_ERROR(ValidateName(req->name()));
                    BS_ASSIGN_OR_RETURN(Profile p, sc_.store->GetProfile(req->name()));
                    ToProto(p, resp);
                    return absl::OkStatus();
                  });
}

grpc::ServerUnaryReactor* ProfileServiceImpl::PutProfile(
    grpc::CallbackServerContext* ctx, const bitsearch::v1::PutProfileRequest* req,
    bitsearch::v1::Profile* resp) {
  return RunUnary(sc_, ctx, "bitsearch.v1.ProfileService/PutProfile", {Role::kClient},
                  [&]() -> absl::Status {
                    const bitsearch::v1::Profile& in = req->profile();
                    BS_RETURN_IF_ERROR(ValidateProfile(in, sc_.limits.max_profile_bytes));
                    Profile p{in.name(), in.format(), in.content(), sc_.clock->NowMs(),
                              static_cast<int64_t>(in.content().size())};
                    BS_RETURN_IF_ERROR(sc_.store->PutProfile(p, p.updated_ms));
                    p.content.clear();
                    ToProto(p, resp);
                    return absl::OkStatus();
                  });
}

}  // namespace bitsearch::server
