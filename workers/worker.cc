#include "workers/worker.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/atomic_file.h"
#include "base/pem_file.h"
#include "base/retry.h"
#include "base/status_macros.h"
#include "workers/job_inputs.h"
#include "workers/worker_session.h"

namespace bitsearch {
namespace worker_internal {

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token, double deadline_s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1000)));
  return ctx;
}

bool Transient(const grpc::Status& st) {
  return st.error_code() == grpc::StatusCode::UNAVAILABLE ||
         st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         st.error_code() == grpc::StatusCode::CANCELLED ||
         st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

void Log(const std::string& line) {
  std::string stamp = absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::LocalTimeZone());
  std::fprintf(stderr, "%s bitsearch-worker: %s\n", stamp.c_str(), line.c_str());
}

grpc::Status WithRetry(const std::function<grpc::Status()>& call, const std::string& what,
                       double max_backoff_s, double give_up_s,
                       const std::function<bool()>& abandon) {
  Backoff backoff({/*initial_seconds=*/0.1, max_backoff_s});
  grpc::Status st;
  bool logged = false;
  RetryWithBackoff(
      [&] {
        st = call();
        if (st.ok() || !Transient(st)) return true;
        if (!logged) {
          Log(absl::StrCat(what, ": ", st.error_message(), "; retrying with backoff"));
          logged = true;
        }
        return false;
      },
      backoff, give_up_s, abandon);
  return st;
}

}  // namespace worker_internal

namespace {

using worker_internal::Ctx;
using worker_internal::Log;
using worker_internal::Transient;
using worker_internal::WithRetry;

std::string DefaultWorkerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "worker");
  return absl::StrCat(host, "-", getpid());
}

// The channel to the server; an unreadable or invalid TLS file is an error, never a silent
// fallback to gRPC's default roots.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const WorkerOptions& o) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(80 << 20);
  args.SetMaxSendMessageSize(80 << 20);
  // Reconnect quickly once a restarted server is back.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  if (o.tls_ca_file.empty()) {
    if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file need --tls-ca-file");
    }
    return grpc::CreateCustomChannel(o.server, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  BS_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                      ReadPemFile(o.tls_ca_file, PemKind::kCertificate, "--tls-ca-file"));
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("mutual TLS needs both --tls-cert-file and --tls-key-file");
  }
  if (!o.tls_cert_file.empty()) {
    BS_ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                        ReadPemFile(o.tls_cert_file, PemKind::kCertificate, "--tls-cert-file"));
    BS_ASSIGN_OR_RETURN(ssl.pem_private_key,
                        ReadPemFile(o.tls_key_file, PemKind::kPrivateKey, "--tls-key-file"));
  }
  return grpc::CreateCustomChannel(o.server, grpc::SslCredentials(ssl), args);
}

}  // namespace

Worker::Worker(WorkerOptions options, JobFn run_job)
    : options_(std::move(options)), run_job_(std::move(run_job)) {
  if (options_.worker_id.empty()) options_.worker_id = DefaultWorkerId();
  memory_budget_ =
      options_.max_job_memory > 0 ? options_.max_job_memory : DefaultJobMemoryBudget();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options_);
  if (channel.ok()) {
    channel_ = std::move(*channel);
    stub_ = bitsearch::v1::WorkerService::NewStub(channel_);
    datasets_ = std::make_unique<DatasetFetcher>(channel_, options_.token, options_.data_dir);
  } else {
    channel_status_ = channel.status();
  }
}

void Worker::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

bool Worker::SleepUnlessStopped(double seconds) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(seconds));
  return !stopping_;
}

absl::Status Worker::Run() {
  if (!channel_status_.ok()) return channel_status_;
  Log(absl::StrCat("worker ", options_.worker_id, " polling ", options_.server,
                   "; memory budget per job ", HumanBytes(memory_budget_)));
  Backoff backoff({/*initial_seconds=*/0.2, options_.max_backoff_seconds});
  bool unreachable = false;
  while (SleepUnlessStopped(0)) {
    bitsearch::v1::LeaseRequest req;
    req.set_worker_id(options_.worker_id);
    bitsearch::v1::LeaseResponse resp;
    grpc::Status st = stub_->Lease(Ctx(options_.token, 10).get(), req, &resp);
    if (!st.ok()) {
      if (!Transient(st)) {
        return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                            absl::StrCat("lease refused by ", options_.server, ": ",
                                         st.error_message()));
      }
      if (!unreachable) {
        Log(absl::StrCat("server ", options_.server, " unreachable (", st.error_message(),
                         "); retrying with backoff"));
      }
      unreachable = true;
      SleepUnlessStopped(backoff.NextSeconds());
      continue;
    }
    if (unreachable) Log(absl::StrCat("connected to ", options_.server));
    unreachable = false;
    backoff.Reset();
    if (!resp.leased()) {
      SleepUnlessStopped(options_.poll_seconds);
      continue;
    }
    RunLeased(resp);
    if (options_.once) break;
  }
  Log("stopped");
  return absl::OkStatus();
}

void Worker::AttachExport(const std::string& id, const std::string& dir,
                          bitsearch::v1::CompleteRequest* req) const {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return;  // the job exported nothing
  int64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) total += static_cast<int64_t>(entry.file_size());
  }
  if (total > options_.max_export_bytes) {
    Log(absl::StrCat("job ", id, ": export of ", total, " bytes is over the ",
                     options_.max_export_bytes, "-byte limit; sending the result without it"));
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    bitsearch::v1::ExportedFile* file = req->add_export_files();
    file->set_name(entry.path().filename().string());
    file->set_data(bytes.str());
  }
}

absl::Status Worker::PrepareJob(const std::string& id, bool model_uploaded, JobSpec* spec) const {
  BS_RETURN_IF_ERROR(ResolveJobInputs(spec, model_uploaded, options_.data_roots,
                                      options_.max_input_file_bytes));
  ModelFacts facts;
  if (!spec->model.onnx.empty() && options_.inspect_model) {
    absl::StatusOr<ModelFacts> inspected = options_.inspect_model(spec->model.onnx);
    if (!inspected.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model.onnx cannot be read: ", inspected.status().message()));
    }
    facts = *inspected;
  }
  MemoryEstimate estimate = EstimateJobMemory(*spec, facts);
  BS_RETURN_IF_ERROR(CheckJobMemory(estimate, memory_budget_));
  Log(absl::StrCat("job ", id, ": estimated memory ", estimate.Describe(), " of ",
                   HumanBytes(memory_budget_)));
  return absl::OkStatus();
}

absl::Status Worker::PrepareData(JobSpec* spec) {
  DatasetSpec& d = spec->dataset;
  if (d.ref.empty()) return absl::OkStatus();  // local files: PrepareJob resolved them
  if (d.digest.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dataset.ref \"", d.ref, "\" came without the digest the server pins at submission; refused"));
  }
  absl::StatusOr<FetchedDataset> fetched;
  Backoff backoff({/*initial_seconds=*/0.2, options_.max_backoff_seconds});
  RetryWithBackoff(
      [&] {  // a server restarting half-way: try again; a digest mismatch or a refusal: stop
        fetched = datasets_->Fetch(d.ref, d.digest);
        return fetched.ok() || (fetched.status().code() != absl::StatusCode::kUnavailable &&
                                fetched.status().code() != absl::StatusCode::kDeadlineExceeded);
      },
      backoff, options_.give_up_seconds);
  if (!fetched.ok()) return fetched.status();
  d.local_root = fetched->dir;
  d.local_file = fetched->single_file;
  return absl::OkStatus();
}

void Worker::RunLeased(const bitsearch::v1::LeaseResponse& lease) {
  const std::string& id = lease.lease().job_id();
  Log(absl::StrCat("job ", id, ": leased (attempt ", lease.lease().attempt(), ")",
                   lease.has_checkpoint() ? ", resuming from its checkpoint" : ""));
  auto report = [&](bool cancelled, const std::string& error) {
    grpc::Status st = WithRetry(
        [&] {
          bitsearch::v1::FailRequest req;
          *req.mutable_lease() = lease.lease();
          req.set_error(error);
          req.set_cancelled(cancelled);
          bitsearch::v1::FailResponse resp;
          return stub_->Fail(Ctx(options_.token, 30).get(), req, &resp);
        },
        "report failure", options_.max_backoff_seconds, options_.give_up_seconds);
    Log(absl::StrCat("job ", id, ": ", cancelled ? "cancelled" : "failed: " + error,
                     st.ok() ? "" : " (server not told: " + st.error_message() + ")"));
  };

  absl::StatusOr<JobSpec> spec = ParseJobSpecText(lease.spec_json());
  if (!spec.ok()) {
    report(false, absl::StrCat("worker cannot parse the spec: ", spec.status().message()));
    return;
  }
  // An uploaded model is scratch too: it lives as long as the job runs here.
  struct RemoveFile {
    std::string path;
    ~RemoveFile() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove(path, ec);
    }
  } remove_model;
  bool uploaded = !lease.onnx_model().empty();
  if (uploaded) {
    std::string dir = options_.data_dir + "/models";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string path = absl::StrCat(dir, "/", id, ".onnx");
    remove_model.path = path;
    absl::Status written = WriteFileAtomically(path, lease.onnx_model());
    if (!written.ok()) {
      report(false, absl::StrCat("worker cannot store the uploaded model: ", written.message()));
      return;
    }
    spec->model.onnx = path;
  }
  if (absl::Status ready = PrepareJob(id, uploaded, &*spec); !ready.ok()) {
    report(false, std::string(ready.message()));
    return;
  }

  WorkerSession session(stub_.get(), options_, lease);
  session.Start();  // heartbeats from here on: fetching a large data set may outlast a lease period
  if (absl::Status data = PrepareData(&*spec); !data.ok()) {
    session.Finish();
    if (!session.lease_lost()) report(false, std::string(data.message()));
    return;
  }

  LeasedInputs inputs;
  inputs.profile_json = lease.profile_json();
  inputs.pretrain_only = lease.kind() == bitsearch::v1::JOB_KIND_PRETRAIN;
  inputs.pretrained_model = lease.pretrained_model();
  // A shared pretraining's product is its export (the float model its sweep's points start
  // from), so it is sent even by a worker that exports nothing else.
  if (options_.export_model || inputs.pretrain_only) {
    inputs.export_dir = absl::StrCat(options_.data_dir, "/exports/", id);
    std::error_code ec;
    std::filesystem::remove_all(inputs.export_dir, ec);  // a previous attempt's leftovers
  }
  // Whatever happens below, the export folder is scratch: the server keeps the files.
  struct RemoveDir {
    std::string dir;
    ~RemoveDir() {
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  } remove_export_dir{inputs.export_dir};

  absl::StatusOr<nlohmann::json> result;
  try {
    result = run_job_(*spec, inputs, &session, &session);
  } catch (const std::exception& e) {
    result = absl::InternalError(absl::StrCat("the pipeline threw: ", e.what()));
  }
  session.Finish();

  if (session.lease_lost()) {
    Log(absl::StrCat("job ", id, ": lease no longer held; result discarded"));
    return;
  }
  if (session.cancel_requested()) {
    report(true, "cancelled");
    return;
  }
  if (!result.ok()) {
    report(false, std::string(result.status().message()));
    return;
  }
  bitsearch::v1::CompleteRequest complete;
  *complete.mutable_lease() = lease.lease();
  complete.set_result_json(result->dump());
  if (!inputs.export_dir.empty()) AttachExport(id, inputs.export_dir, &complete);
  auto send = [&] {
    return WithRetry(
        [&] {
          bitsearch::v1::CompleteResponse resp;
          return stub_->Complete(Ctx(options_.token, 30).get(), complete, &resp);
        },
        "complete", options_.max_backoff_seconds, options_.give_up_seconds);
  };
  grpc::Status st = send();
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT && complete.export_files_size() > 0) {
    // The result matters more than the export: a server that refuses the files gets it alone.
    Log(absl::StrCat("job ", id, ": export refused (", st.error_message(), "); completing without"));
    complete.clear_export_files();
    st = send();
  }
  Log(absl::StrCat("job ", id, st.ok() ? ": SUCCEEDED" : ": result refused: " + st.error_message()));
}

}  // namespace bitsearch
