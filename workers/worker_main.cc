// bitsearch-worker: flags -> WorkerOptions, the LibTorch pipeline as the job function, Run().
// SIGTERM/SIGINT: finish the current job, then exit; a second signal exits at once (the lease
// then expires and the job resumes elsewhere from its last checkpoint).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "base/blas_core.h"
#include "base/token_file.h"
#include "bitsearch/version.h"
#include "search/onnx/onnx_import.h"
#include "search/device.h"
#include "workers/job_runner.h"
#include "workers/worker.h"
#include "workers/worker_metrics.h"

int main(int argc, char** argv) {
  bitsearch::RestartWithBetterBlasCore(argv);  // before LibTorch does anything (base/blas_core.h)
  bitsearch::WorkerOptions o;
  std::string token_file;
  int threads = 0;
  std::string device = "cpu";
  std::string metrics_address;  // "" = no metrics endpoint
  CLI::App app{"bitsearch-worker: runs bitsearch jobs leased from a bitsearch-server"};
  app.set_version_flag("--version", "bitsearch-worker " BITSEARCH_VERSION);
  if (const char* env = std::getenv("BITSEARCH_SERVER")) o.server = env;
  app.add_option("--server", o.server, "server HOST:PORT (env BITSEARCH_SERVER)")->capture_default_str();
  app.add_option("--token-file", token_file, "file with a worker bearer token (env BITSEARCH_TOKEN)");
  app.add_option("--threads", threads, "LibTorch threads per job (0 = all cores)")->capture_default_str();
  app.add_option("--device", device,
                 "torch device every job trains on: cpu, cuda or cuda:N (a CUDA build of LibTorch)")
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir,
                 "scratch folder (uploaded models, cache of uploaded data sets, pretrained-model cache)")
      ->capture_default_str();
  app.add_option("--worker-id", o.worker_id, "stable id (default HOSTNAME-PID)");
  app.add_option("--tls-ca-file", o.tls_ca_file, "PEM roots to verify a TLS server");
  app.add_option("--tls-cert-file", o.tls_cert_file,
                 "PEM client certificate for servers that require mutual TLS from workers");
  app.add_option("--tls-key-file", o.tls_key_file, "PEM private key of --tls-cert-file");
  app.add_option("--data-root", o.data_roots,
                 "folder whose files jobs may name (model.onnx, the data set's files); repeatable; "
                 "without it, jobs use uploaded models, uploaded data sets and the catalog only");
  app.add_option("--max-job-memory", o.max_job_memory,
                 "memory a job may need, e.g. 8GB (0 = 80% of this machine's or container's)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--poll-seconds", o.poll_seconds, "wait between empty leases")->capture_default_str();
  app.add_option("--heartbeat-seconds", o.heartbeat_seconds, "0 = a third of the lease period")
      ->capture_default_str();
  app.add_option("--progress-every", o.progress_every_steps, "report progress every N steps")
      ->capture_default_str();
  app.add_flag("--once", o.once, "exit after one job");
  bool no_export = false;
  app.add_flag("--no-export", no_export,
               "do not export finished jobs' models (`bitsearch result JOB --export` then has none)");
  app.add_option("--metrics", metrics_address, "Prometheus address HOST:PORT ('' = off)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help/--version 0; a rejected command line 2, as bitsearch
  }
  o.export_model = !no_export;
  // A device this build or machine lacks is refused at start, not in every leased job.
  if (absl::StatusOr<torch::Device> d = bitsearch::ParseDevice(device); !d.ok()) {
    std::cerr << "bitsearch-worker: --device: " << d.status().message() << "\n";
    return 2;
  }

  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = bitsearch::ReadFirstToken(token_file);
    if (!token.ok()) {
      std::cerr << "bitsearch-worker: " << token.status().message() << "\n";
      return 2;
    }
    o.token = *token;
  } else if (const char* env = std::getenv("BITSEARCH_TOKEN")) {
    o.token = env;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // ONNX files are looked at before a job runs: their input shape and size feed the memory
  // estimate (workers/job_memory.h).
  o.inspect_model = [](const std::string& path) -> absl::StatusOr<bitsearch::ModelFacts> {
    absl::StatusOr<bitsearch::ImportedModel> model = bitsearch::ImportOnnxFile(path);
    if (!model.ok()) return model.status();
    bitsearch::ModelFacts facts;
    facts.input_shape = model->input_shape;
    for (const auto& [name, tensor] : model->parameters) facts.parameters += tensor.numel();
    return facts;
  };

  bitsearch::RunOptions run_options;
  run_options.threads = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  run_options.device = device;
  run_options.resume = true;
  // The server keeps one checkpoint per job: one this worker cannot read (cut short) has nothing
  // older behind it, so the job restarts from what it still holds instead of failing.
  run_options.restart_unreadable_checkpoint = true;
  // Jobs of the same model, data, pretraining and seed share one pretrained float model: the
  // cache is keyed as `bitsearch run` keys it (search/pipeline/pretrain_cache.h).
  run_options.cache_dir = o.data_dir + "/pretrain-cache";
  std::unique_ptr<bitsearch::WorkerMetricsEndpoint> metrics;  // --metrics; set once the id is known
  bitsearch::Worker worker(o, [run_options, &metrics](const bitsearch::JobSpec& spec,
                                            const bitsearch::LeasedInputs& inputs,
                                            bitsearch::JobObserver* observer,
                                            bitsearch::CheckpointStore* checkpoints) {
    bitsearch::RunOptions job_options = run_options;
    job_options.profile_json = inputs.profile_json;  // a profile stored in the server
    job_options.export_dir = inputs.export_dir;
    job_options.pretrain_only = inputs.pretrain_only;
    job_options.pretrained_model = inputs.pretrained_model;
    bitsearch::JobRunner runner(job_options);  // fresh per job: its cancel flag is sticky
    auto run = [&](bitsearch::JobObserver* obs) { return runner.Run(spec, obs, checkpoints); };
    return metrics ? metrics->metrics().RunMetered(observer, run) : run(observer);
  });
  if (!metrics_address.empty()) {
    auto endpoint = bitsearch::WorkerMetricsEndpoint::Start(metrics_address, worker.worker_id());
    if (!endpoint.ok()) {
      std::cerr << "bitsearch-worker: " << endpoint.status().message() << "\n";
      return 2;
    }
    metrics = std::move(*endpoint);
    std::cerr << "bitsearch-worker: metrics on " << metrics_address << " (port " << metrics->port()
              << ")" << std::endl;
  }
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "bitsearch-worker: signal " << sig << ": finishing the current job; "
              << "signal again to quit now" << std::endl;
    worker.Stop();
    sigwait(&signals, &sig);
    _exit(128 + sig);
  });
  signal_thread.detach();
  absl::Status st = worker.Run();
  if (!st.ok()) {
    std::cerr << "bitsearch-worker: " << st.message() << "\n";
    return 1;
  }
  return 0;
}
