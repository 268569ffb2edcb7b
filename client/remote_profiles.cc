#include "client/remote_profiles.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/service_client.h"
#include "latency_models/stored_profile.h"

namespace bitsearch {
namespace {

namespace v1 = ::bitsearch::v1;

class GrpcProfileServer : public ProfileServer {
 public:
  explicit GrpcProfileServer(const Connection& c) : client_(c) {}

  std::string Describe() const override { return absl::StrCat("server ", client_.server()); }

  absl::StatusOr<std::vector<std::string>> ListNames() override {
    v1::ListProfilesResponse resp;
    grpc::Status st = client_.profiles().ListProfiles(client_.Ctx().get(), {}, &resp);
    if (!st.ok()) return ToStatus(st);
    std::vector<std::string> names;
    for (const v1::Profile& p : resp.profiles()) names.push_back(p.name());
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::StatusOr<std::string> GetProfileJson(const std::string& name) override {
    v1::GetProfileRequest req;
    req.set_name(name);
    v1::Profile p;
    grpc::Status st = client_.profiles().GetProfile(client_.Ctx().get(), req, &p);
    if (st.error_code() == grpc::StatusCode::NOT_FOUND) {
      return absl::NotFoundError(absl::StrCat("unknown profile '", name, "' (", Describe(),
                                              " stores no such profile and it is not built-in)"));
    }
    if (!st.ok()) return ToStatus(st);
    return StoredProfileJson(p.name(), p.format(), p.content(),
                             absl::StrCat(Describe(), ": profile ", name));
  }

  absl::Status PutProfileJson(const std::string& name, const std::string& json) override {
    v1::PutProfileRequest req;
    req.mutable_profile()->set_name(name);
    req.mutable_profile()->set_format("json");
    req.mutable_profile()->set_content(json);
    v1::Profile stored;
    grpc::Status st = client_.profiles().PutProfile(client_.Ctx().get(), req, &stored);
    return st.ok() ? absl::OkStatus() : ToStatus(st);
  }

 private:
  absl::Status ToStatus(const grpc::Status& st) const {
    return absl::Status(static_cast<absl::StatusCode>(st.error_code()), client_.Describe(st));
  }

  ServiceClient client_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProfileServer>> ConnectProfileServer(
    const ProfileServerFlags& flags) {
  Connection c{flags.server, flags.token_file, flags.tls_ca};
  return std::unique_ptr<ProfileServer>(new GrpcProfileServer(c));
}

}  // namespace bitsearch
