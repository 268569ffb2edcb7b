// The bitsearch server: JobService, ProfileService, WorkerService and DatasetService over gRPC
// (callback API) in front of the JobManager core, grpc.health.v1 and reflection, the reaper, the
// Prometheus endpoint and the read-only web page (web_server.h). main() parses flags into
// ServerOptions and calls BuildAndStart() then Wait().
//
// Thread-safety: Shutdown() may be called from any thread (a signal thread), once or more.
#ifndef BITSEARCH_SERVER_SERVER_H_
#define BITSEARCH_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "base/clock.h"
#include "server/auth.h"
#include "server/blob_store.h"
#include "server/event_hub.h"
#include "server/job_manager.h"
#include "server/job_store.h"
#include "server/metrics.h"
#include "server/rpc_context.h"

namespace prometheus {
class Exposer;
}

namespace bitsearch::server {

class DatasetServiceImpl;
class JobServiceImpl;
class ProfileServiceImpl;
class WorkerServiceImpl;
class Reaper;
class WebServer;

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";   // HOST:PORT; port 0 picks a free port
  std::string metrics = "127.0.0.1:9464";   // Prometheus HTTP endpoint; "" = none
  std::string http;                         // the read-only web page HOST:PORT; "" = none
  std::string db_path = "bitsearch.db";     // SQLite file (created when missing)
  std::string data_dir = "bitsearch-data";  // blobs: uploaded models, checkpoints
  std::string client_token_file;            // one token per line; role "client"
  std::string worker_token_file;            // one token per line; role "worker"
  std::string admin_token_file;             // one token per line; clients that see every job
  std::string tls_cert_file;                // PEM; with tls_key_file enables TLS
  std::string tls_key_file;
  std::string tls_worker_ca_file;           // PEM CA: workers must present a certificate it
                                            // signed (mutual TLS); clients need none
  int lease_seconds = 60;                   // a lease lives this long without a heartbeat
  int max_attempts = 3;                     // leases per job before it FAILs
  int reap_interval_ms = 1000;              // how often expired leases are looked for
  int drain_seconds = 10;                   // in-flight calls get this long on shutdown
  bool job_ownership = false;               // a client token sees only its own jobs
  double retention_days = 7;                // uploaded models, failed jobs' checkpoints; 0 = keep
  Limits limits;
  DatasetLimits dataset_limits;             // uploaded data sets (--max-dataset-bytes)
};

// True for 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackAddress(const std::string& host_port);

class Server {
 public:
  // Opens the store (the SQLite file at options.db_path unless `store` is given), binds, starts
  // serving. `registry` receives the metrics; `clock` may be null (system clock) and must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<Server>> BuildAndStart(
      const ServerOptions& options, std::shared_ptr<prometheus::Registry> registry,
      const Clock* clock = nullptr, std::unique_ptr<ServerStore> store = nullptr);
  ~Server();

  // Blocks until Shutdown() finished.
  void Wait();
  // Health NOT_SERVING, watch streams end, in-flight calls drain until the deadline, the reaper
  // stops and the database closes. Idempotent.
  void Shutdown();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  int http_port() const { return http_port_; }
  Reaper& reaper() { return *reaper_; }
  ServerStore& store() { return *store_; }
  JobManager& jobs() { return *jobs_; }

 private:
  Server() = default;

  ServerOptions options_;
  SystemClock system_clock_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<ServerStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<Authenticator> auth_;
  EventHub hub_;
  std::unique_ptr<JobManager> jobs_;
  std::unique_ptr<DatasetManager> datasets_;
  ServiceContext context_;
  std::unique_ptr<DatasetServiceImpl> dataset_service_;
  std::unique_ptr<JobServiceImpl> job_service_;
  std::unique_ptr<ProfileServiceImpl> profile_service_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<WebServer> web_;
  int port_ = 0;
  int metrics_port_ = 0;
  int http_port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shutting_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Notification shutdown_done_;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_SERVER_H_
