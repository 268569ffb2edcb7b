// The connection every server-talking `bitsearch` command shares: the server address and bearer
// token resolved once from --server / --token-file / --tls-ca-file, else BITSEARCH_SERVER /
// BITSEARCH_TOKEN (the token itself) / BITSEARCH_TLS_CA, else 127.0.0.1:50051 without a token;
// channels, call contexts, and gRPC errors turned into one line a person can act on.
//
// Failures print "bitsearch: <reason>" on stderr and throw CLI::RuntimeError (main turns it into
// the exit code). Thread-safety: a ServiceClient is used from one thread; NewChannel() and Ctx()
// are const and may be called from several (bench-load does).
#ifndef BITSEARCH_CLIENT_SERVICE_CLIENT_H_
#define BITSEARCH_CLIENT_SERVICE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "bitsearch/v1/jobs.grpc.pb.h"
#include "bitsearch/v1/profiles.grpc.pb.h"
#include "client/cli_common.h"

namespace bitsearch {

// The connection flags as given on the command line ("" = not given).
using Connection = ConnectionFlags;

// True when --server or BITSEARCH_SERVER names a server.
bool ServerConfigured(const Connection& c);

// Prints "bitsearch: <message>" on stderr and throws CLI::RuntimeError(code).
[[noreturn]] void Die(const std::string& message, int code = kExitFailure);

// The bytes of a file named on the command line; dies with kExitUsage naming `what` and the path
// when it cannot be read.
std::string ReadFileOrDie(const std::string& path, const char* what);

class ServiceClient {
 public:
  explicit ServiceClient(const Connection& c);

  // A new channel (bench clients each want their own connection).
  std::shared_ptr<grpc::Channel> NewChannel() const;
  bitsearch::v1::JobService::Stub& jobs();
  bitsearch::v1::ProfileService::Stub& profiles();
  // A call context with the bearer token; deadline_s <= 0 means none (streams).
  std::unique_ptr<grpc::ClientContext> Ctx(double deadline_s = 30) const;
  // One line a person can act on.
  std::string Describe(const grpc::Status& st) const;
  // Dies with Describe(st) unless st is OK: exit kExitUsage when the server calls the request
  // invalid or does not know what it names (INVALID_ARGUMENT, NOT_FOUND), kExitFailure otherwise.
  void Check(const grpc::Status& st) const;
  const std::string& server() const { return server_; }

 private:
  std::shared_ptr<grpc::Channel> Channel();

  std::string server_;
  std::string token_;
  std::string tls_ca_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<bitsearch::v1::JobService::Stub> jobs_;
  std::unique_ptr<bitsearch::v1::ProfileService::Stub> profiles_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_SERVICE_CLIENT_H_
