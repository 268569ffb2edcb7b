#include "server/profile_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/proto_convert.h"
#include "server/status_macros.h"

namespace bitsearch::server {
namespace {

absl::Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("profile.name must have 1 to 64 characters");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("profile.name '", name, "' may only use letters, digits, '.', '_', '-'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateProfile(const bitsearch::v1::Profile& p, int64_t max_bytes) {
  BS_RETURN_IF_ERROR(ValidateName(p.name()));
  if (static_cast<int64_t>(p.content().size()) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("profile.content is ", p.content().size(),
                                                   " bytes; the limit is ", max_bytes));
  }
  if (p.content().empty()) return absl::InvalidArgumentError("profile.content is empty");
  if (p.format() == "json") {
    nlohmann::json j = nlohmann::json::parse(p.content(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError("profile.content is not a JSON object");
    }
  } else if (p.format() == "csv") {
    std::string header = p.content().substr(0, p.content().find('\n'));
    if (!absl::StrContains(header, "latency")) {
      return absl::InvalidArgumentError("profile.content: the CSV header has no 'latency' column");
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("profile.format '", p.format(), "' is not one of: json, csv"));
  }
  return absl::OkStatus();
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
