#include "server/test_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <arpa/inet.h>
#include <grpc/grpc.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "base/sha256.h"
#include "server/metrics.h"

namespace bitsearch::server::testing {

TestServer::TestServer(bool auth, int lease_seconds, int max_attempts, bool metrics,
                       bool ownership)
    : registry_(std::make_shared<prometheus::Registry>()) {
  // Keep gRPC initialised across tests: its full shutdown, once the last object is gone, costs
  // about two seconds per test otherwise.
  static const bool kGrpcKeptAlive = [] {
    grpc_init();
    return true;
  }();
  (void)kGrpcKeptAlive;
  std::string tmpl = (std::filesystem::temp_directory_path() / "bitsearch-server-test-XXXXXX").string();
  dir_ = mkdtemp(tmpl.data());
  options_.listen = "127.0.0.1:0";
  options_.metrics = metrics ? "127.0.0.1:0" : "";
  options_.db_path = dir_ + "/jobs.db";
  options_.data_dir = dir_ + "/data";
  options_.lease_seconds = lease_seconds;
  options_.max_attempts = max_attempts;
  options_.reap_interval_ms = 3'600'000;  // tests reap explicitly with RunOnce()
  options_.drain_seconds = 2;
  if (auth) {
    options_.client_token_file = dir_ + "/client.tokens";
    options_.worker_token_file = dir_ + "/worker.tokens";
    options_.admin_token_file = dir_ + "/admin.tokens";
    std::ofstream(options_.client_token_file)
        << "# clients\n" << kClientToken << "\n" << kOtherClientToken << "\n";
    std::ofstream(options_.worker_token_file) << kWorkerToken << "\n";
    std::ofstream(options_.admin_token_file) << kAdminToken << "\n";
  }
  options_.job_ownership = ownership;
  Start();
}

TestServer::~TestServer() {
  Stop();
  std::filesystem::remove_all(dir_);
}

void TestServer::Start() {
  // A fresh registry per start: a restarted server re-registers the same metric names.
  registry_ = std::make_shared<prometheus::Registry>();
  auto server = Server::BuildAndStart(options_, registry_, &clock_);
  if (!server.ok()) {
    ADD_FAILURE() << "server did not start: " << server.status();
    std::abort();
  }
  server_ = std::move(*server);
  channel_ = grpc::CreateChannel(address(), credentials_);
}

void TestServer::EnableTls(const TestPki& pki, bool require_worker_cert) {
  options_.tls_cert_file = pki.server_cert;
  options_.tls_key_file = pki.server_key;
  options_.tls_worker_ca_file = require_worker_cert ? pki.ca : "";
  credentials_ = TlsCredentials(pki.ca);
  Restart();
}

TestPki MakeTestPki(const std::string& dir) {
  std::string cmd = std::string("bash ") + BITSEARCH_SOURCE_DIR + "/tests/make_test_pki.sh " + dir;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "tests/make_test_pki.sh failed (is openssl installed?)";
  return TestPki{dir + "/ca.pem",     dir + "/server.pem", dir + "/server.key",
                 dir + "/worker.pem", dir + "/worker.key", dir + "/rogue.pem",
                 dir + "/rogue.key"};
}

std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& ca_file,
                                                         const std::string& cert_file,
                                                         const std::string& key_file) {
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read(ca_file);
  if (!cert_file.empty()) {
    ssl.pem_cert_chain = read(cert_file);
    ssl.pem_private_key = read(key_file);
  }
  return grpc::SslCredentials(ssl);
}

void TestServer::Stop() {
  if (server_ != nullptr) server_->Shutdown();
}

void TestServer::Restart() {
  Stop();
  server_.reset();
  Start();
}

std::unique_ptr<bitsearch::v1::JobService::Stub> TestServer::Jobs() {
  return bitsearch::v1::JobService::NewStub(channel_);
}
std::unique_ptr<bitsearch::v1::ProfileService::Stub> TestServer::Profiles() {
  return bitsearch::v1::ProfileService::NewStub(channel_);
}
std::unique_ptr<bitsearch::v1::WorkerService::Stub> TestServer::Workers() {
  return bitsearch::v1::WorkerService::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return ctx;
}

std::string SubmitOk(bitsearch::v1::JobService::Stub& jobs, const std::string& token,
                     const std::string& spec) {
  bitsearch::v1::SubmitJobRequest req;
  req.set_spec_json(spec);
  bitsearch::v1::SubmitJobResponse resp;
  grpc::Status st = jobs.SubmitJob(Ctx(token).get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.job().id();
}

grpc::Status UploadChunk(bitsearch::v1::DatasetService::Stub& stub, const std::string& token,
                         const std::string& digest, const std::string& data,
                         bitsearch::v1::UploadChunksResponse* response) {
  auto ctx = Ctx(token);
  auto writer = stub.UploadChunks(ctx.get(), response);
  bitsearch::v1::DatasetChunk chunk;
  chunk.set_sha256(digest);
  chunk.set_data(data);
  writer->Write(chunk);
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status CommitOneChunkDataset(bitsearch::v1::DatasetService::Stub& stub, const std::string& token,
                                   const std::string& name, const std::string& path, const std::string& data,
                                   bitsearch::v1::CommitDatasetResponse* response) {
  const std::string digest = Sha256Hex(data);
  bitsearch::v1::CommitDatasetRequest commit;
  commit.set_name(name);
  commit.mutable_manifest()->set_single_file(true);
  bitsearch::v1::DatasetFile* file = commit.mutable_manifest()->add_files();
  file->set_path(path);
  file->set_size_bytes(static_cast<int64_t>(data.size()));
  file->set_sha256(digest);
  file->add_chunks(digest);
  return stub.CommitDataset(Ctx(token).get(), commit, response);
}

int ListedJobs(bitsearch::v1::JobService::Stub& jobs) {
  bitsearch::v1::ListJobsResponse list;
  grpc::Status st = jobs.ListJobs(Ctx().get(), {}, &list);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return st.ok() ? list.jobs_size() : -1;
}

std::string HealthStatus(std::shared_ptr<grpc::Channel> channel, const std::string& service) {
  // HealthCheckRequest{service = 1}: tag 0x0a, length, bytes (services here are < 128 bytes).
  std::string request;
  if (!service.empty()) {
    request.push_back('\x0a');
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&done](grpc::Status st) { done.set_value(st); });
  grpc::Status st = done.get_future().get();
  if (!st.ok()) return GrpcCodeName(st.error_code());
  return HealthStatusOf(resp);
}

std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

std::string HealthStatusOf(const grpc::ByteBuffer& response) {
  const std::string bytes = BytesOf(response);
  // HealthCheckResponse{status = 1}: 0x08 <enum>; 1 = SERVING, 2 = NOT_SERVING.
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1] == 1 ? "SERVING" : "NOT_SERVING";
  return "UNKNOWN";
}

std::string ReflectionServices(std::shared_ptr<grpc::Channel> channel) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                               &cq);
  auto step = [&cq](void* want) {
    void* got = nullptr;
    bool ok = false;
    return cq.Next(&got, &ok) && got == want && ok;
  };
  int tags[5];
  call->StartCall(&tags[0]);
  if (!step(&tags[0])) return "UNAVAILABLE";
  // ServerReflectionRequest{list_services = ""}: field 7, length-delimited, empty.
  std::string request("\x3a\x00", 2);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  call->Write(req, &tags[1]);
  std::string bytes;
  grpc::ByteBuffer resp;
  if (step(&tags[1])) {
    call->Read(&resp, &tags[2]);
    if (step(&tags[2])) bytes = BytesOf(resp);
  }
  call->WritesDone(&tags[3]);
  (void)step(&tags[3]);
  grpc::Status st;
  call->Finish(&st, &tags[4]);
  (void)step(&tags[4]);
  cq.Shutdown();
  void* ignored;
  bool ok;
  while (cq.Next(&ignored, &ok)) {
  }
  if (!st.ok()) return GrpcCodeName(st.error_code());
  return bytes;
}

std::string HttpGet(const std::string& host, int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
    (void)!write(fd, req.data(), req.size());
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

}  // namespace bitsearch::server::testing
