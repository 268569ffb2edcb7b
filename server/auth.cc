#include "server/auth.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/token_file.h"

namespace bitsearch::server {

std::string TokenPrincipal(const std::string& token) {
  // FNV-1a, 64 bits: stable across builds and restarts (jobs keep their owner), and a 64-bit
  // digest of a long random token reveals nothing usable about it.
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : token) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return absl::StrFormat("token-%016x", h);
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromOptions(
    const AuthOptions& options) {
  std::unique_ptr<Authenticator> auth(new Authenticator());
  auth->require_worker_certificate_ = options.require_worker_certificate;
  struct Source {
    const std::string* path;
    Role role;
    bool admin;
  };
  for (const Source& source : {Source{&options.client_token_file, Role::kClient, false},
                               Source{&options.admin_token_file, Role::kClient, true},
                               Source{&options.worker_token_file, Role::kWorker, false}}) {
    if (source.path->empty()) continue;
    absl::StatusOr<std::vector<std::string>> tokens = ReadTokenFile(*source.path);
    if (!tokens.ok()) return tokens.status();
    for (const std::string& token : *tokens) {
      Caller caller{source.role, TokenPrincipal(token), source.admin};
      auto [it, inserted] = auth->tokens_.emplace(token, caller);
      if (!inserted && (it->second.role != caller.role || it->second.admin != caller.admin)) {
        return absl::InvalidArgumentError(
            absl::StrCat("a token of ", *source.path,
                         " appears in another token file too; roles need distinct tokens"));
      }
    }
  }
  return auth;
}

absl::StatusOr<Caller> Authenticator::Authenticate(grpc::ServerContextBase* ctx,
                                                   std::initializer_list<Role> allowed,
                                                   const char* method) const {
  if (!enabled()) return Caller{*allowed.begin(), "", /*admin=*/true};
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat(method, ": missing bearer token (metadata 'authorization: Bearer <token>')"));
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ")) {
    return absl::UnauthenticatedError(absl::StrCat(method, ": authorization is not 'Bearer <token>'"));
  }
  auto found = tokens_.find(std::string(value));
  if (found == tokens_.end()) return absl::UnauthenticatedError(absl::StrCat(method, ": unknown token"));
  const Caller& caller = found->second;
  bool role_ok = false;
  for (Role role : allowed) role_ok = role_ok || role == caller.role;
  if (!role_ok) {
    return absl::PermissionDeniedError(absl::StrCat(
        method, ": a ", caller.role == Role::kClient ? "client" : "worker",
        " token may not call this"));
  }
  if (caller.role == Role::kWorker && require_worker_certificate_) {
    std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return absl::PermissionDeniedError(absl::StrCat(
          method, ": this server requires workers to present a client certificate signed by "
                  "its --tls-client-ca-file (mutual TLS)"));
    }
  }
  return caller;
}

absl::StatusOr<Caller> Authenticator::AuthenticateClientToken(const std::string& token) const {
  auto found = token.empty() ? tokens_.end() : tokens_.find(token);
  if (found == tokens_.end()) return absl::UnauthenticatedError("unknown token");
  if (found->second.role != Role::kClient) {
    return absl::PermissionDeniedError("a worker token may not read jobs; use a client token");
  }
  return found->second;
}

}  // namespace bitsearch::server
