// Bearer-token authentication with two roles. Clients send "authorization: Bearer <token>"; a
// token is a line of the client, admin or worker token file (base/token_file.h). Admin tokens are
// client tokens that see every client's jobs when job ownership is on. Without token files auth
// is off (the server then refuses to listen beyond loopback, see server.cc).
//
// Open without a token: grpc.health.v1 (probes) and server reflection (schema only, no data).
// Thread-safety: immutable after construction.
#ifndef BITSEARCH_SERVER_AUTH_H_
#define BITSEARCH_SERVER_AUTH_H_

#include <grpcpp/server_context.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/caller.h"

namespace bitsearch::server {

struct AuthOptions {
  std::string client_token_file;   // role client
  std::string worker_token_file;   // role worker
  std::string admin_token_file;    // role client, admin
  // Worker calls must come over TLS with a client certificate the server verified (mutual TLS).
  bool require_worker_certificate = false;
};

class Authenticator {
 public:
  // Reads the token files; "" paths give no tokens. A token in two files is an error.
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromOptions(const AuthOptions& options);

  bool enabled() const { return !tokens_.empty(); }
  // The caller when the call's token has one of `allowed` roles: UNAUTHENTICATED for a missing
  // or unknown token, PERMISSION_DENIED for a token of another role (or a worker call without a
  // verified certificate when one is required). `method` goes in the message.
  absl::StatusOr<Caller> Authenticate(grpc::ServerContextBase* ctx,
                                      std::initializer_list<Role> allowed,
                                      const char* method) const;
  // The caller of a client (or admin) token given outside gRPC (the web page's bearer header or
  // login form): UNAUTHENTICATED for an unknown token, PERMISSION_DENIED for a worker token.
  absl::StatusOr<Caller> AuthenticateClientToken(const std::string& token) const;

 private:
  Authenticator() = default;

  std::map<std::string, Caller> tokens_;  // token -> who it is
  bool require_worker_certificate_ = false;
};

// A stable, non-secret name for a token (a hash of it), recorded as a job's owner.
std::string TokenPrincipal(const std::string& token);

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_AUTH_H_
