// bitsearch-server: flags -> ServerOptions -> BuildAndStart -> Wait. SIGTERM/SIGINT shut down
// gracefully (health NOT_SERVING, drain, database closed).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "bitsearch/version.h"
#include "server/backup.h"
#include "server/server.h"

int main(int argc, char** argv) {
  bitsearch::server::ServerOptions o;
  CLI::App app{"bitsearch-server: the bitsearch job service"};
  app.set_version_flag("--version", "bitsearch-server " BITSEARCH_VERSION);
  app.add_option("--listen", o.listen, "gRPC address HOST:PORT")->capture_default_str();
  app.add_option("--metrics", o.metrics, "Prometheus address HOST:PORT ('' = off)")
      ->capture_default_str();
  app.add_option("--http", o.http,
                 "serve the read-only web page of jobs and sweeps on HOST:PORT (needs "
                 "--client-token-file; '' = off)")
      ->capture_default_str();
  app.add_option("--db", o.db_path, "SQLite database file")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "folder for blobs (models, checkpoints)")
      ->capture_default_str();
  app.add_option("--client-token-file", o.client_token_file, "client bearer tokens, one a line");
  app.add_option("--worker-token-file", o.worker_token_file, "worker bearer tokens, one a line");
  app.add_option("--admin-token-file", o.admin_token_file,
                 "client tokens that see every client's jobs (with --job-ownership), one a line");
  app.add_flag("--job-ownership", o.job_ownership,
               "a client token sees and cancels only the jobs it submitted (admins see all)");
  app.add_option("--retention-days", o.retention_days,
                 "remove uploaded models and the checkpoints of unsuccessful jobs this long after "
                 "the job ended (0 = keep)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--tls-cert-file", o.tls_cert_file, "PEM certificate chain (enables TLS)");
  app.add_option("--tls-key-file", o.tls_key_file, "PEM private key");
  app.add_option("--tls-worker-ca-file", o.tls_worker_ca_file,
                 "PEM CA; workers must present a client certificate it signed (mutual TLS)");
  app.add_option("--lease-seconds", o.lease_seconds, "lease lifetime without a heartbeat")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--max-attempts", o.max_attempts, "leases per job before it fails")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--drain-seconds", o.drain_seconds, "grace period for in-flight calls on exit")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--max-dataset-bytes", o.dataset_limits.max_dataset_bytes,
                 "largest data set `bitsearch datasets upload` may store (bytes, all files together)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  double upload_idle_seconds = o.dataset_limits.upload_idle_ms / 1000.0;
  app.add_option("--upload-idle-timeout", upload_idle_seconds,
                 "remove the chunks of a data-set upload that was never committed once no client "
                 "has touched them for this many seconds (also at start, for an earlier server's "
                 "leftovers; committed data sets are never removed; 0 = keep)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  std::string backup_path;
  app.add_option("--backup", backup_path,
                 "copy --db to PATH with SQLite's online backup API (safe while a server runs on "
                 "it) and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help/--version 0; a rejected command line 2, as bitsearch
  }
  o.dataset_limits.upload_idle_ms = static_cast<int64_t>(upload_idle_seconds * 1000);
  if (!backup_path.empty()) {
    auto stats = bitsearch::server::BackupDatabase(o.db_path, backup_path);
    if (!stats.ok()) {
      std::cerr << "bitsearch-server: backup: " << stats.status().message() << "\n";
      return 1;
    }
    std::cerr << "bitsearch-server: backup of " << o.db_path << " written to " << backup_path
              << " (" << stats->jobs << " jobs, schema v" << stats->schema_version << ", "
              << stats->bytes << " bytes)" << std::endl;
    return 0;
  }

  // Block the signals in every thread (gRPC's included) and take them on one thread of our own.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto registry = std::make_shared<prometheus::Registry>();
  auto server = bitsearch::server::Server::BuildAndStart(o, registry);
  if (!server.ok()) {
    std::cerr << "bitsearch-server: " << server.status().message() << "\n";
    return 1;
  }
  std::cerr << "bitsearch-server: listening on " << o.listen << " (port " << (*server)->port()
            << ")" << (o.metrics.empty() ? "" : ", metrics on " + o.metrics)
            << (o.http.empty() ? "" : ", web page on " + o.http + " (port " +
                                          std::to_string((*server)->http_port()) + ")")
            << ", db " << o.db_path << std::endl;
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "bitsearch-server: signal " << sig << ", draining" << std::endl;
    (*server)->Shutdown();
  });
  (*server)->Wait();
  signal_thread.join();
  std::cerr << "bitsearch-server: stopped, database closed" << std::endl;
  return 0;
}
