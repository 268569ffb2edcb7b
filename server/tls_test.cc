// TLS with certificates made by openssl for the test (tests/make_test_pki.sh): the server is
// verified against its CA, workers can be required to present certificates (mutual TLS), and
// unusable TLS files are errors.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "server/test_server.h"

namespace bitsearch::server::testing {
namespace {

// TLS with a CA written by the test: clients verify the server against it; with
// --tls-worker-ca-file, workers must present a certificate it signed, while clients need none.
TEST(TlsTest, ServerVerifiedByItsCaAndMutualTlsForWorkers) {
  TestServer ts(/*auth=*/true);
  TestPki pki = MakeTestPki(ts.dir() + "/pki");
  ts.EnableTls(pki, /*require_worker_cert=*/true);
  std::string id = SubmitOk(*ts.Jobs(), kClientToken);  // TLS, no client certificate
  EXPECT_FALSE(id.empty());

  bitsearch::v1::LeaseRequest lease;
  lease.set_worker_id("w1");
  bitsearch::v1::LeaseResponse leased;
  grpc::Status no_cert = ts.Workers()->Lease(Ctx(kWorkerToken).get(), lease, &leased);
  EXPECT_EQ(no_cert.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StrContains(no_cert.error_message(), "mutual TLS")) << no_cert.error_message();

  auto rogue = bitsearch::v1::WorkerService::NewStub(grpc::CreateChannel(
      ts.address(), TlsCredentials(pki.ca, pki.rogue_cert, pki.rogue_key)));
  EXPECT_FALSE(rogue->Lease(Ctx(kWorkerToken).get(), lease, &leased).ok());

  auto worker = bitsearch::v1::WorkerService::NewStub(grpc::CreateChannel(
      ts.address(), TlsCredentials(pki.ca, pki.worker_cert, pki.worker_key)));
  grpc::Status st = worker->Lease(Ctx(kWorkerToken).get(), lease, &leased);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(leased.lease().job_id(), id);

  // A plaintext client, and one trusting another CA, cannot talk to the TLS port.
  bitsearch::v1::ListJobsResponse list;
  for (auto creds : {grpc::InsecureChannelCredentials(), TlsCredentials(pki.rogue_cert)}) {
    auto stub = bitsearch::v1::JobService::NewStub(grpc::CreateChannel(ts.address(), creds));
    auto ctx = Ctx(kClientToken);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    EXPECT_EQ(stub->ListJobs(ctx.get(), {}, &list).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
}

// A missing or invalid certificate, key or CA file stops the server with the flag's name; no
// file is ever replaced by defaults.
TEST(TlsTest, UnreadableOrInvalidTlsFilesAreErrors) {
  TestServer ts;
  TestPki pki = MakeTestPki(ts.dir() + "/pki");
  std::string junk = ts.dir() + "/junk.pem";
  std::ofstream(junk) << "not a certificate\n";
  struct Case {
    std::string cert, key, worker_ca;
    absl::StatusCode code;
    const char* names;
  };
  for (const Case& c : std::vector<Case>{
           {ts.dir() + "/missing.pem", pki.server_key, "", absl::StatusCode::kNotFound,
            "--tls-cert-file"},
           {junk, pki.server_key, "", absl::StatusCode::kInvalidArgument, "--tls-cert-file"},
           {pki.server_cert, junk, "", absl::StatusCode::kInvalidArgument, "--tls-key-file"},
           {pki.server_cert, pki.server_key, junk, absl::StatusCode::kInvalidArgument,
            "--tls-worker-ca-file"},
           {pki.server_cert, "", "", absl::StatusCode::kInvalidArgument, "--tls-key-file"},
           {"", "", pki.ca, absl::StatusCode::kInvalidArgument, "--tls-worker-ca-file"}}) {
    ServerOptions o = ts.options();
    o.listen = "127.0.0.1:0";
    o.db_path = ts.dir() + "/other.db";
    o.tls_cert_file = c.cert;
    o.tls_key_file = c.key;
    o.tls_worker_ca_file = c.worker_ca;
    auto server = Server::BuildAndStart(o, std::make_shared<prometheus::Registry>());
    ASSERT_FALSE(server.ok()) << c.cert << " " << c.key << " " << c.worker_ca;
    EXPECT_EQ(server.status().code(), c.code) << server.status();
    EXPECT_TRUE(absl::StrContains(server.status().message(), c.names)) << server.status();
  }
}

}  // namespace
}  // namespace bitsearch::server::testing
