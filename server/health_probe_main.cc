// bitsearch-health: asks a server's grpc.health.v1 service whether it is SERVING, the way
// grpc_health_probe does, for container health checks and exec probes (the server image has no
// other client). Exit 0 = SERVING, 1 = NOT_SERVING or unreachable, 2 = bad flags.
//   bitsearch-health [--addr HOST:PORT] [--service NAME] [--timeout SECONDS] [--tls-ca-file PEM]
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bitsearch/version.h"

namespace {

struct Options {
  std::string addr = "127.0.0.1:50051";  // server HOST:PORT
  std::string service;                    // "" = the server as a whole
  double timeout_s = 5;                   // deadline of the one call
  std::string tls_ca_file;                // PEM roots; non-empty switches to TLS
};

// HealthCheckRequest{string service = 1}, encoded by hand: the probe needs no generated code.
std::string EncodeRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  out.push_back('\x0a');
  size_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + service;
}

// HealthCheckResponse{ServingStatus status = 1}: 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING,
// 3 SERVICE_UNKNOWN. An empty message is status 0.
int DecodeStatus(const std::string& bytes) {
  if (bytes.size() >= 2 && bytes[0] == 0x08) return static_cast<unsigned char>(bytes[1]);
  return 0;
}

const char* StatusName(int status) {
  switch (status) {
    case 1: return "SERVING";
    case 2: return "NOT_SERVING";
    case 3: return "SERVICE_UNKNOWN";
    default: return "UNKNOWN";
  }
}

int Probe(const Options& o) {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!o.tls_ca_file.empty()) {
    std::ifstream in(o.tls_ca_file);
    if (!in) {
      std::cerr << "bitsearch-health: cannot read --tls-ca-file " << o.tls_ca_file << "\n";
      return 2;
    }
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    creds = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateChannel(o.addr, creds);
  grpc::GenericStub stub(channel);
  grpc::Slice slice(EncodeRequest(o.service));
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000)));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status st) { done.set_value(std::move(st)); });
  grpc::Status st = done.get_future().get();
  if (!st.ok()) {
    std::cerr << "bitsearch-health: " << o.addr << ": " << st.error_message() << " (code "
              << st.error_code() << ")\n";
    return 1;
  }
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  int status = DecodeStatus(bytes);
  std::cout << o.addr << (o.service.empty() ? "" : " " + o.service) << ": " << StatusName(status)
            << std::endl;
  return status == 1 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bitsearch-health: gRPC health check of a bitsearch-server"};
  app.set_version_flag("--version", "bitsearch-health " BITSEARCH_VERSION);
  if (const char* env = std::getenv("BITSEARCH_SERVER")) o.addr = env;
  app.add_option("--addr", o.addr, "server HOST:PORT (env BITSEARCH_SERVER)")->capture_default_str();
  app.add_option("--service", o.service, "service name ('' = the whole server)");
  app.add_option("--timeout", o.timeout_s, "seconds")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--tls-ca-file", o.tls_ca_file, "PEM roots to verify a TLS server");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help/--version 0; a rejected command line 2, as bitsearch
  }
  return Probe(o);
}
