// Bearer-token authentication with two roles. Clients send "authorization: Bearer <token>"; a
// token is a line of the client or the worker token file. Without token files auth is off (the
// server then refuses to listen beyond loopback, see server_main.cc).
//
// Thread-safety: immutable after construction.
#ifndef BITSEARCH_SERVER_AUTH_H_
#define BITSEARCH_SERVER_AUTH_H_

#include <grpcpp/server_context.h>

#include <initializer_list>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace bitsearch::server {

enum class Role { kClient, kWorker };

class Authenticator {
 public:
  // Reads one token per line (blank lines and '#' comments skipped); "" paths give no tokens.
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromFiles(const std::string& client_file,
                                                                  const std::string& worker_file);
  Authenticator(std::set<std::string> client_tokens, std::set<std::string> worker_tokens,
                bool enabled);

  bool enabled() const { return enabled_; }
  // OK when the call's token has one of `allowed` roles; UNAUTHENTICATED for a missing or
  // unknown token, PERMISSION_DENIED for a token of another role. `method` goes in the message.
  absl::Status Check(grpc::ServerContextBase* ctx, std::initializer_list<Role> allowed,
                     const char* method) const;

 private:
  std::set<std::string> client_tokens_;
  std::set<std::string> worker_tokens_;
  bool enabled_;
};

// Reads a token file (shared with the client and the worker): the first non-comment line.
absl::StatusOr<std::string> ReadFirstToken(const std::string& path);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_AUTH_H_
