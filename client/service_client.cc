#include "client/service_client.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/pem_file.h"
#include "base/token_file.h"

namespace bitsearch {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:50051";

}  // namespace

bool ServerConfigured(const Connection& c) {
  const char* env_server = std::getenv("BITSEARCH_SERVER");
  return !c.server.empty() || (env_server != nullptr && *env_server != '\0');
}

void Die(const std::string& message, int code) {
  std::fprintf(stderr, "bitsearch: %s\n", message.c_str());
  throw CLI::RuntimeError(code);
}

std::string ReadFileOrDie(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(absl::StrCat("cannot read ", what, " ", path), kExitUsage);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ServiceClient::ServiceClient(const Connection& c) {
  const char* env_server = std::getenv("BITSEARCH_SERVER");
  server_ = !c.server.empty() ? c.server : env_server && *env_server ? env_server : kDefaultServer;
  if (!c.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadFirstToken(c.token_file);
    if (!token.ok()) Die(std::string(token.status().message()), ExitCodeFor(token.status().code()));
    token_ = *token;
  } else if (const char* env_token = std::getenv("BITSEARCH_TOKEN")) {
    token_ = env_token;
  }
  const char* env_ca = std::getenv("BITSEARCH_TLS_CA");
  tls_ca_ = !c.tls_ca.empty() ? c.tls_ca : env_ca ? env_ca : "";
}

std::shared_ptr<grpc::Channel> ServiceClient::NewChannel() const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!tls_ca_.empty()) {
    grpc::SslCredentialsOptions ssl;
    // An unreadable or invalid CA file is an error, never gRPC's default roots.
    absl::StatusOr<std::string> ca = ReadPemFile(tls_ca_, PemKind::kCertificate, "--tls-ca-file");
    if (!ca.ok()) Die(std::string(ca.status().message()));
    ssl.pem_root_certs = std::move(*ca);
    creds = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(server_, creds, args);
}

std::shared_ptr<grpc::Channel> ServiceClient::Channel() {
  if (channel_ == nullptr) channel_ = NewChannel();
  return channel_;
}

bitsearch::v1::JobService::Stub& ServiceClient::jobs() {
  if (jobs_ == nullptr) jobs_ = bitsearch::v1::JobService::NewStub(Channel());
  return *jobs_;
}

bitsearch::v1::ProfileService::Stub& ServiceClient::profiles() {
  if (profiles_ == nullptr) profiles_ = bitsearch::v1::ProfileService::NewStub(Channel());
  return *profiles_;
}

std::unique_ptr<grpc::ClientContext> ServiceClient::Ctx(double deadline_s) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  if (deadline_s > 0) {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1000)));
  }
  return ctx;
}

std::string ServiceClient::Describe(const grpc::Status& st) const {
  const std::string& m = st.error_message();
  switch (st.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::StrCat("server unreachable at ", server_, " (", m, ")");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("server at ", server_, " did not answer in time");
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::StrCat("unauthenticated: ", m, " (use --token-file or BITSEARCH_TOKEN)");
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::StrCat("permission denied: ", m);
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
      return m;
    default:
      return absl::StrCat("server error (code ", static_cast<int>(st.error_code()), "): ", m);
  }
}

void ServiceClient::Check(const grpc::Status& st) const {
  if (st.ok()) return;
  Die(Describe(st), ExitCodeFor(static_cast<absl::StatusCode>(st.error_code())));
}

}  // namespace bitsearch
