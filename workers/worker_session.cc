#include "workers/worker_session.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace bitsearch {
namespace {

using worker_internal::Ctx;
using worker_internal::Log;
using worker_internal::WithRetry;

constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kMaxEventsPerReport = 500;
constexpr double kFlushSeconds = 0.5;
// Deadline of the session thread's calls: short, so that a heartbeat is never stuck behind a
// progress report to a server that is restarting.
constexpr double kCallSeconds = 2.0;

}  // namespace

WorkerSession::WorkerSession(bitsearch::v1::WorkerService::Stub* stub,
                             const WorkerOptions& options,
                             const bitsearch::v1::LeaseResponse& lease)
    : stub_(stub),
      options_(options),
      lease_(lease.lease()),
      has_checkpoint_(lease.has_checkpoint()),
      heartbeat_s_(options.heartbeat_seconds > 0
                       ? options.heartbeat_seconds
                       : std::max(0.2, lease.lease_seconds() / 3.0)) {}

WorkerSession::~WorkerSession() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void WorkerSession::Start() { thread_ = std::thread([this] { Loop(); }); }

void WorkerSession::Finish() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  // Whatever is still queued (the last phase's end, the final log lines) goes out now.
  (void)WithRetry(
      [this] { return SendEvents() ? grpc::Status::OK : grpc::Status(grpc::StatusCode::UNAVAILABLE, "send"); },
      "report progress", options_.max_backoff_seconds, options_.give_up_seconds,
      [this] { return lease_lost_.load(); });
}

void WorkerSession::Enqueue(bitsearch::v1::JobEvent event, bool urgent) {
  absl::MutexLock lock(&mu_);
  if (lease_lost_) return;
  queue_.push_back(std::move(event));
  if (urgent) urgent_ = true;
}

void WorkerSession::OnPhaseStart(const std::string& phase, int64_t total_steps) {
  Log(absl::StrCat("job ", lease_.job_id(), ": phase ", phase, " started"));
  bitsearch::v1::JobEvent e;
  e.set_type(bitsearch::v1::JobEvent::TYPE_PHASE_START);
  e.set_phase(phase);
  e.set_total_steps(total_steps);
  last_reported_step_ = -1;
  last_reported_epoch_ = 0;
  Enqueue(std::move(e), /*urgent=*/true);
}

void WorkerSession::OnProgress(const Progress& p) {
  bool due = p.resumed || p.epoch != last_reported_epoch_ || last_reported_step_ < 0 ||
             p.step - last_reported_step_ >= options_.progress_every_steps ||
             (p.total_steps > 0 && p.step >= p.total_steps);
  if (!due) return;
  if (p.resumed) {
    Log(absl::StrCat("job ", lease_.job_id(), ": resumed ", p.phase, " at step ", p.step, "/",
                     p.total_steps));
  }
  last_reported_step_ = p.step;
  last_reported_epoch_ = p.epoch;
  bitsearch::v1::JobEvent e;
  e.set_type(bitsearch::v1::JobEvent::TYPE_PROGRESS);
  e.set_phase(p.phase);
  bitsearch::v1::Progress* out = e.mutable_progress();
  out->set_phase(p.phase);
  out->set_epoch(p.epoch);
  out->set_epochs(p.epochs);
  out->set_step(p.step);
  out->set_total_steps(p.total_steps);
  out->set_loss(p.loss);
  out->set_accuracy(p.accuracy);
  out->set_expected_weight_bits(p.expected_weight_bits);
  out->set_expected_act_bits(p.expected_act_bits);
  out->set_relative_bops_percent(p.relative_bops_percent);
  out->set_resumed(p.resumed);
  Enqueue(std::move(e), /*urgent=*/p.resumed);
}

void WorkerSession::OnPhaseEnd(const std::string& phase, double seconds,
                               const std::string& summary) {
  Log(absl::StrCat("job ", lease_.job_id(), ": phase ", phase, " done in ",
                   absl::FormatDuration(absl::Seconds(seconds)), (summary.empty() ? "" : ": "),
                   summary));
  bitsearch::v1::JobEvent e;
  e.set_type(bitsearch::v1::JobEvent::TYPE_PHASE_END);
  e.set_phase(phase);
  e.set_seconds(seconds);
  e.set_message(summary);
  Enqueue(std::move(e), /*urgent=*/true);
}

void WorkerSession::OnLog(const std::string& line) {
  Log(absl::StrCat("job ", lease_.job_id(), ": ", line));
  bitsearch::v1::JobEvent e;
  e.set_type(bitsearch::v1::JobEvent::TYPE_LOG);
  e.set_message(line);
  Enqueue(std::move(e), /*urgent=*/false);
}

void WorkerSession::NoteFailure(const grpc::Status& st, const char* what) {
  if (st.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
      st.error_code() == grpc::StatusCode::NOT_FOUND ||
      st.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    if (!lease_lost_.exchange(true)) {
      Log(absl::StrCat("job ", lease_.job_id(), ": ", what, ": ", st.error_message(),
                       "; dropping the job"));
    }
    absl::MutexLock lock(&mu_);
    queue_.clear();
  }
}

bool WorkerSession::SendEvents() {
  bitsearch::v1::ReportProgressRequest req;
  {
    absl::MutexLock lock(&mu_);
    if (queue_.empty() || lease_lost_) return true;
    size_t n = std::min(queue_.size(), kMaxEventsPerReport);
    for (size_t i = 0; i < n; ++i) *req.add_events() = queue_[i];
  }
  *req.mutable_lease() = lease_;
  bitsearch::v1::ReportProgressResponse resp;
  grpc::Status st = stub_->ReportProgress(Ctx(options_.token, kCallSeconds).get(), req, &resp);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // The server will never take these events: drop them rather than retry forever (the job
    // itself goes on; only its log misses them).
    Log(absl::StrCat("job ", lease_.job_id(), ": server refused ", req.events_size(),
                     " progress event(s): ", st.error_message(), "; dropped"));
    absl::MutexLock lock(&mu_);
    queue_.erase(queue_.begin(),
                 queue_.begin() + std::min<size_t>(queue_.size(), req.events_size()));
    return true;
  }
  if (!st.ok()) {
    NoteFailure(st, "report progress");
    return lease_lost_.load();  // a lost lease needs no retry
  }
  if (resp.cancel_requested()) cancel_requested_ = true;
  absl::MutexLock lock(&mu_);
  queue_.erase(queue_.begin(), queue_.begin() + std::min<size_t>(queue_.size(), req.events_size()));
  return true;
}

void WorkerSession::SendHeartbeat() {
  bitsearch::v1::HeartbeatRequest req;
  *req.mutable_lease() = lease_;
  bitsearch::v1::HeartbeatResponse resp;
  auto ctx = Ctx(options_.token, std::min(kCallSeconds, std::max(0.5, heartbeat_s_)));
  ctx->set_wait_for_ready(true);  // succeed as soon as a restarted server accepts connections
  grpc::Status st = stub_->Heartbeat(ctx.get(), req, &resp);
  if (!st.ok()) {
    NoteFailure(st, "heartbeat");
    return;
  }
  if (resp.cancel_requested() && !cancel_requested_.exchange(true)) {
    Log(absl::StrCat("job ", lease_.job_id(), ": cancelled by the server; stopping"));
  }
}

void WorkerSession::Loop() {
  auto next_heartbeat = std::chrono::steady_clock::now();
  bool unreachable = false;
  while (true) {
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      double wait = std::min(
          kFlushSeconds,
          std::chrono::duration<double>(next_heartbeat - std::chrono::steady_clock::now()).count());
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || urgent_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Seconds(std::max(0.0, wait)));
      stop = stopping_;
      urgent_ = false;
    }
    if (stop) return;
    // Heartbeat first: the lease matters more than progress, and a call to a server that is
    // reconnecting may take until its deadline.
    if (std::chrono::steady_clock::now() >= next_heartbeat) {
      SendHeartbeat();
      next_heartbeat = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(heartbeat_s_ * 1000));
    }
    bool sent = SendEvents();
    if (!sent && !unreachable) Log("server unreachable; progress is queued until it is back");
    unreachable = !sent;
  }
}

absl::Status WorkerSession::Save(const std::string& bytes) {
  if (cancel_requested_) return absl::OkStatus();  // a cancelled job is never resumed
  if (lease_lost_) return absl::FailedPreconditionError("lease lost; checkpoint not stored");
  grpc::Status st = WithRetry(
      [&]() -> grpc::Status {
        bitsearch::v1::UploadCheckpointResponse resp;
        auto ctx = Ctx(options_.token, 120);
        auto writer = stub_->UploadCheckpoint(ctx.get(), &resp);
        size_t off = 0;
        do {
          bitsearch::v1::CheckpointChunk chunk;
          if (off == 0) *chunk.mutable_lease() = lease_;
          chunk.set_data(bytes.substr(off, kChunkBytes));
          off += kChunkBytes;
          if (off >= bytes.size()) {  // the final chunk: the server publishes only after it
            chunk.set_last(true);
            chunk.set_total_bytes(static_cast<int64_t>(bytes.size()));
          }
          if (!writer->Write(chunk)) break;  // the server ended the call; Finish says why
        } while (off < bytes.size());
        writer->WritesDone();
        return writer->Finish();
      },
      "upload checkpoint", options_.max_backoff_seconds, options_.give_up_seconds,
      [this] { return lease_lost_.load() || cancel_requested_.load(); });
  if (st.ok()) return absl::OkStatus();
  if (cancel_requested_) return absl::OkStatus();
  NoteFailure(st, "upload checkpoint");
  return absl::UnavailableError(absl::StrCat("checkpoint upload failed: ", st.error_message()));
}

absl::StatusOr<std::optional<std::string>> WorkerSession::Load() {
  if (!has_checkpoint_) return std::optional<std::string>();
  std::string bytes;
  grpc::Status st = WithRetry(
      [&]() -> grpc::Status {
        bytes.clear();
        bitsearch::v1::DownloadCheckpointRequest req;
        *req.mutable_lease() = lease_;
        auto ctx = Ctx(options_.token, 120);
        auto reader = stub_->DownloadCheckpoint(ctx.get(), req);
        bitsearch::v1::CheckpointChunk chunk;
        while (reader->Read(&chunk)) bytes += chunk.data();
        return reader->Finish();
      },
      "download checkpoint", options_.max_backoff_seconds, options_.give_up_seconds,
      [this] { return lease_lost_.load(); });
  if (st.error_code() == grpc::StatusCode::NOT_FOUND) return std::optional<std::string>();
  if (!st.ok()) {
    NoteFailure(st, "download checkpoint");
    return absl::UnavailableError(absl::StrCat("checkpoint download failed: ", st.error_message()));
  }
  Log(absl::StrCat("job ", lease_.job_id(), ": downloaded checkpoint (", bytes.size(), " bytes)"));
  return std::optional<std::string>(std::move(bytes));
}

}  // namespace bitsearch
