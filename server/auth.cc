#include "server/auth.h"

#include <fstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"

namespace bitsearch::server {
namespace {

absl::StatusOr<std::vector<std::string>> ReadTokens(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    std::string token(absl::StripAsciiWhitespace(line));
    if (token.empty() || token[0] == '#') continue;
    tokens.push_back(token);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " holds no token"));
  }
  return tokens;
}

}  // namespace

absl::StatusOr<std::string> ReadFirstToken(const std::string& path) {
  absl::StatusOr<std::vector<std::string>> tokens = ReadTokens(path);
  if (!tokens.ok()) return tokens.status();
  return tokens->front();
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromFiles(
    const std::string& client_file, const std::string& worker_file) {
  std::set<std::string> client, worker;
  for (auto [path, set] : {std::pair{&client_file, &client}, std::pair{&worker_file, &worker}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::vector<std::string>> tokens = ReadTokens(*path);
    if (!tokens.ok()) return tokens.status();
    set->insert(tokens->begin(), tokens->end());
  }
  for (const std::string& t : client) {
    if (worker.count(t)) {
      return absl::InvalidArgumentError("a token appears in both the client and the worker "
                                        "token files; roles need distinct tokens");
    }
  }
  bool enabled = !client_file.empty() || !worker_file.empty();
  return std::make_unique<Authenticator>(std::move(client), std::move(worker), enabled);
}

Authenticator::Authenticator(std::set<std::string> client_tokens,
                             std::set<std::string> worker_tokens, bool enabled)
    : client_tokens_(std::move(client_tokens)),
      worker_tokens_(std::move(worker_tokens)),
      enabled_(enabled) {}

absl::Status Authenticator::Check(grpc::ServerContextBase* ctx,
                                  std::initializer_list<Role> allowed, const char* method) const {
  if (!enabled_) return absl::OkStatus();
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
  std::string token(value);
  bool is_client = client_tokens_.count(token) > 0;
  bool is_worker = worker_tokens_.count(token) > 0;
  if (!is_client && !is_worker) {
    return absl::UnauthenticatedError(absl::StrCat(method, ": unknown token"));
  }
  for (Role role : allowed) {
    if ((role == Role::kClient && is_client) || (role == Role::kWorker && is_worker)) {
      return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError(
      absl::StrCat(method, ": a ", is_client ? "client" : "worker", " token may not call this"));
}

}  // namespace bitsearch::server
