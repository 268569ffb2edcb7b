// Test helper: a real bitsearch Server on 127.0.0.1 (free port) with a temporary database and
// data folder, a FakeClock, optional token files, and stubs that send a bearer token.
//
// Thread-safety: test-thread only.
#ifndef BITSEARCH_SERVER_TEST_SERVER_H_
#define BITSEARCH_SERVER_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "bitsearch/v1/datasets.grpc.pb.h"
#include "bitsearch/v1/jobs.grpc.pb.h"
#include "bitsearch/v1/profiles.grpc.pb.h"
#include "bitsearch/v1/worker.grpc.pb.h"
#include "base/clock.h"
#include "server/server.h"

namespace bitsearch::server::testing {

inline constexpr char kClientToken[] = "client-secret-1";
inline constexpr char kOtherClientToken[] = "client-secret-2";
inline constexpr char kAdminToken[] = "admin-secret-1";
inline constexpr char kWorkerToken[] = "worker-secret-1";
// A small job every test can submit.
inline constexpr char kSmallSpec[] =
    R"({"model":"lenet5","dataset":{"name":"synthetic","synthetic_train":512,)"
    R"("synthetic_test":128},"pretrain":{"epochs":1},"search":{"epochs":1},)"
    R"("finetune":{"epochs":1}})";

// A throw-away PKI made by tests/make_test_pki.sh (openssl): file paths.
struct TestPki {
  std::string ca;                          // the CA that signed the next four
  std::string server_cert, server_key;     // localhost and 127.0.0.1
  std::string worker_cert, worker_key;     // a client certificate
  std::string rogue_cert, rogue_key;       // a client certificate of another CA
};
// Fails the test when openssl is missing (scripts/bootstrap.sh installs it).
TestPki MakeTestPki(const std::string& dir);
// Channel credentials trusting `ca_file`, with a client certificate when given.
std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& ca_file,
                                                         const std::string& cert_file = "",
                                                         const std::string& key_file = "");

class TestServer {
 public:
  // `auth` writes token files (two client tokens, an admin and a worker token) and turns
  // authentication on; `metrics` serves Prometheus text on a free port (off by default: the
  // HTTP server takes about two seconds to stop); `ownership` is --job-ownership.
  explicit TestServer(bool auth = false, int lease_seconds = 30, int max_attempts = 3,
                      bool metrics = false, bool ownership = false);
  ~TestServer();

  // Stops the server (graceful) and starts a new one on the same database and data folder.
  void Restart();
  // Restarts serving TLS with `pki`'s server certificate (and, with `require_worker_cert`,
  // mutual TLS for workers); channel() then trusts its CA.
  void EnableTls(const TestPki& pki, bool require_worker_cert);
  void Stop();

  Server& server() { return *server_; }
  FakeClock& clock() { return clock_; }
  const std::string& dir() const { return dir_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  ServerOptions& options() { return options_; }

  std::unique_ptr<bitsearch::v1::JobService::Stub> Jobs();
  std::unique_ptr<bitsearch::v1::ProfileService::Stub> Profiles();
  std::unique_ptr<bitsearch::v1::WorkerService::Stub> Workers();
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

 private:
  void Start();

  std::string dir_;
  ServerOptions options_;
  FakeClock clock_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_ = grpc::InsecureChannelCredentials();
  std::shared_ptr<grpc::Channel> channel_;
};

// A context carrying "authorization: Bearer <token>" (none when token is empty) and a deadline.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "");

// A request that names job `id` (GetJobRequest, CancelJobRequest, WatchJobRequest, ...) or sweep
// `id` (GetSweepRequest, ...), for the calls that take nothing else.
template <typename Request>
Request JobRequest(const std::string& id) {
  Request request;
  request.set_job_id(id);
  return request;
}
template <typename Request>
Request SweepRequest(const std::string& id) {
  Request request;
  request.set_sweep_id(id);
  return request;
}

// Submits kSmallSpec (or `spec`) and returns the job id; fails the test on error.
std::string SubmitOk(bitsearch::v1::JobService::Stub& jobs, const std::string& token = "",
                     const std::string& spec = kSmallSpec);

// Uploads one data set chunk, `data` under `digest` (UploadChunks with a single message).
grpc::Status UploadChunk(bitsearch::v1::DatasetService::Stub& stub, const std::string& token,
                         const std::string& digest, const std::string& data,
                         bitsearch::v1::UploadChunksResponse* response);
// Commits data set `name` as one file `path` made of one chunk, `data` (uploaded before, under its
// SHA-256): the smallest data set a job can name.
grpc::Status CommitOneChunkDataset(bitsearch::v1::DatasetService::Stub& stub, const std::string& token,
                                   const std::string& name, const std::string& path, const std::string& data,
                                   bitsearch::v1::CommitDatasetResponse* response);

// How many jobs the first page of ListJobs (no token) shows; fails the test (and returns -1) on
// error. Tests that check that nothing was stored submit far fewer than a page.
int ListedJobs(bitsearch::v1::JobService::Stub& jobs);

// grpc.health.v1 Check over a generic call: "SERVING", "NOT_SERVING", or the error code name.
std::string HealthStatus(std::shared_ptr<grpc::Channel> channel, const std::string& service = "");
// The bytes of a generic call's message.
std::string BytesOf(const grpc::ByteBuffer& buffer);
// What a HealthCheckResponse's bytes say: "SERVING", "NOT_SERVING" or "UNKNOWN".
std::string HealthStatusOf(const grpc::ByteBuffer& response);

// The services server reflection lists (grpc.reflection.v1alpha, no token), as the raw bytes
// of its answer; or the error code name.
std::string ReflectionServices(std::shared_ptr<grpc::Channel> channel);

// A plain HTTP/1.0 GET on loopback; returns the body ("" on failure).
std::string HttpGet(const std::string& host, int port, const std::string& path);

}  // namespace bitsearch::server::testing

#endif  // BITSEARCH_SERVER_TEST_SERVER_H_
