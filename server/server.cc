#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/exposer.h>

#include <chrono>
#include <exception>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/pem_file.h"
#include "server/dataset_service.h"
#include "server/job_service.h"
#include "server/profile_service.h"
#include "server/reaper.h"
#include "server/web_server.h"
#include "server/sqlite_job_store.h"
#include "base/status_macros.h"
#include "server/worker_service.h"

namespace bitsearch::server {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert-file and --tls-key-file");
  }
  if (o.tls_cert_file.empty()) {
    if (!o.tls_worker_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls-worker-ca-file needs TLS (--tls-cert-file)");
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  BS_ASSIGN_OR_RETURN(pair.private_key,
                      ReadPemFile(o.tls_key_file, PemKind::kPrivateKey, "--tls-key-file"));
  BS_ASSIGN_OR_RETURN(pair.cert_chain,
                      ReadPemFile(o.tls_cert_file, PemKind::kCertificate, "--tls-cert-file"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!o.tls_worker_ca_file.empty()) {
    // Mutual TLS for workers: a certificate, when one is presented, must be signed by this CA;
    // clients may come without one (their bearer token is their identity), worker calls may not
    // (auth.cc checks that the peer was verified).
    BS_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPemFile(o.tls_worker_ca_file, PemKind::kCertificate,
                                                        "--tls-worker-ca-file"));
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

bool IsLoopbackAddress(const std::string& host_port) {
  std::string host = host_port;
  size_t colon = host.rfind(':');
  if (colon != std::string::npos) host = host.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::unique_ptr<Server>> Server::BuildAndStart(
    const ServerOptions& options, std::shared_ptr<prometheus::Registry> registry,
    const Clock* clock, std::unique_ptr<ServerStore> store) {
  std::unique_ptr<Server> s(new Server());
  s->options_ = options;
  if (options.lease_seconds <= 0) return absl::InvalidArgumentError("--lease-seconds must be > 0");
  if (options.retention_days < 0) return absl::InvalidArgumentError("--retention-days must be >= 0");
  if (options.dataset_limits.max_dataset_bytes < 0) {
    return absl::InvalidArgumentError("--max-dataset-bytes must be >= 0");
  }
  if (options.dataset_limits.upload_idle_ms < 0) {
    return absl::InvalidArgumentError("--upload-idle-timeout must be >= 0");
  }

  AuthOptions auth;
  auth.client_token_file = options.client_token_file;
  auth.worker_token_file = options.worker_token_file;
  auth.admin_token_file = options.admin_token_file;
  auth.require_worker_certificate = !options.tls_worker_ca_file.empty();
  BS_ASSIGN_OR_RETURN(s->auth_, Authenticator::FromOptions(auth));
  if (options.job_ownership && options.client_token_file.empty()) {
    return absl::InvalidArgumentError(
        "--job-ownership needs --client-token-file (owners are told apart by their tokens)");
  }
  if (!s->auth_->enabled() && !IsLoopbackAddress(options.listen)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to listen on ", options.listen,
        " without --client-token-file and --worker-token-file (only loopback may go without auth)"));
  }
  BS_ASSIGN_OR_RETURN(auto creds, Credentials(options));
  if (store != nullptr) {
    s->store_ = std::move(store);
  } else {
    BS_ASSIGN_OR_RETURN(s->store_, SqliteJobStore::Open(options.db_path));
  }
  BS_ASSIGN_OR_RETURN(s->blobs_, BlobStore::Open(options.data_dir));
  s->registry_ = std::move(registry);
  s->metrics_ = std::make_unique<ServerMetrics>(*s->registry_);

  JobManagerOptions manager;
  manager.limits = options.limits;
  manager.lease_ms = int64_t{options.lease_seconds} * 1000;
  manager.max_attempts = options.max_attempts;
  manager.job_ownership = options.job_ownership;
  manager.retention_ms = static_cast<int64_t>(options.retention_days * 24 * 3600 * 1000);
  const Clock* time = clock != nullptr ? clock : &s->system_clock_;
  s->jobs_ = std::make_unique<JobManager>(s->store_.get(), s->blobs_.get(), &s->hub_,
                                          s->metrics_.get(), time, manager);
  s->datasets_ = std::make_unique<DatasetManager>(s->store_.get(), s->blobs_.get(), time,
                                                  options.dataset_limits);

  ServiceContext& c = s->context_;
  c.jobs = s->jobs_.get();
  c.datasets = s->datasets_.get();
  c.auth = s->auth_.get();
  c.metrics = s->metrics_.get();

  s->job_service_ = std::make_unique<JobServiceImpl>(c);
  s->profile_service_ = std::make_unique<ProfileServiceImpl>(c);
  s->worker_service_ = std::make_unique<WorkerServiceImpl>(c);
  s->dataset_service_ = std::make_unique<DatasetServiceImpl>(c);
  s->reaper_ = std::make_unique<Reaper>(s->jobs_.get(), options.reap_interval_ms, s->datasets_.get());
  // Before serving: what uploads of an earlier server process left uncommitted. Its half-written
  // chunks all go now; its uncommitted chunks once idle past the timeout (a client resuming an
  // upload the restart cut off keeps what it sent).
  // A failure is the reaper's to retry, not a reason to refuse serving.
  absl::StatusOr<AbandonedUploads> leftovers = s->datasets_->RemoveAbandonedUploads(/*at_start=*/true);
  if (!leftovers.ok()) {
    std::cerr << "bitsearch-server: at start: cleaning abandoned uploads: " << leftovers.status() << std::endl;
  } else if (leftovers->Any()) {
    std::cerr << "bitsearch-server: at start: "
              << DescribeAbandonedUploads(*leftovers, options.dataset_limits.upload_idle_ms) << std::endl;
  }

  if (!options.metrics.empty()) {
    try {
      s->exposer_ = std::make_unique<prometheus::Exposer>(options.metrics);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve metrics on ", options.metrics, ": ", e.what()));
    }
    s->exposer_->RegisterCollectable(s->registry_);
    std::vector<int> ports = s->exposer_->GetListeningPorts();
    if (!ports.empty()) s->metrics_port_ = ports.front();
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, creds, &s->port_);
  builder.SetMaxReceiveMessageSize(options.limits.max_message_bytes);
  builder.SetMaxSendMessageSize(options.limits.max_message_bytes);
  builder.RegisterService(s->job_service_.get());
  builder.RegisterService(s->profile_service_.get());
  builder.RegisterService(s->worker_service_.get());
  builder.RegisterService(s->dataset_service_.get());
  s->grpc_server_ = builder.BuildAndStart();
  if (s->grpc_server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen,
                                               " (address in use or invalid)"));
  }
  grpc::HealthCheckServiceInterface* health = s->grpc_server_->GetHealthCheckService();
  for (const char* service : {"bitsearch.v1.JobService", "bitsearch.v1.ProfileService",
                              "bitsearch.v1.WorkerService", "bitsearch.v1.DatasetService"}) {
    health->SetServingStatus(service, true);
  }
  health->SetServingStatus(true);
  // Workers kept running while the server was down: give their leases two periods plus 10 s to
  // reconnect (their channels back off between connection attempts) before the reaper may
  // requeue them.
  if (!options.http.empty()) {
    WebOptions web;
    web.listen = options.http;
    BS_ASSIGN_OR_RETURN(s->web_, WebServer::Start(web, s->jobs_.get(), s->auth_.get(), time));
    s->http_port_ = s->web_->port();
  }
  BS_RETURN_IF_ERROR(s->jobs_->GraceRunningLeases(2 * manager.lease_ms + 10'000));
  BS_RETURN_IF_ERROR(s->reaper_->RunOnce().status());
  s->reaper_->Start();
  return s;
}

Server::~Server() { Shutdown(); }

void Server::Wait() { shutdown_done_.WaitForNotification(); }

void Server::Shutdown() {
  bool already = false;
  {
    absl::MutexLock lock(&shutdown_mu_);
    already = shutting_down_;
    shutting_down_ = true;
  }
  if (already) {
    shutdown_done_.WaitForNotification();
    return;
  }
  if (web_ != nullptr) web_->Stop();
  if (grpc_server_ != nullptr) {
    grpc_server_->GetHealthCheckService()->SetServingStatus(false);
    hub_.Shutdown();
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::seconds(options_.drain_seconds));
    grpc_server_->Wait();
  }
  if (reaper_ != nullptr) reaper_->Stop();
  exposer_.reset();
  if (store_ != nullptr) (void)store_->Close();
  shutdown_done_.Notify();
}

}  // namespace bitsearch::server
