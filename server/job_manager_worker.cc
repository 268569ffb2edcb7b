// JobManager, worker side: lease, heartbeat, progress, checkpoints, complete, fail; and profiles.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "server/export_blobs.h"
#include "server/job_manager.h"
#include "search/pretrain_key.h"
#include "server/profile_rules.h"
#include "server/request_ids.h"
#include "server/worker_report_rules.h"

namespace bitsearch::server {
namespace {

constexpr size_t kMaxErrorBytes = 64 << 10;
// Phase boundaries stored past a full event log (a job has about a dozen phases).
constexpr int64_t kPhaseEventReserve = 1000;

// INVALID_ARGUMENT unless the lease names a worker, a job, a positive attempt and a token.
absl::Status ValidateLeaseRef(const LeaseRef& lease) {
  BS_RETURN_IF_ERROR(RequireId("worker_id", lease.worker_id));
  BS_RETURN_IF_ERROR(RequireId("lease.job_id", lease.job_id));
  if (lease.attempt <= 0) return absl::InvalidArgumentError("lease.attempt must be positive");
  if (lease.token.empty() || lease.token.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("lease.token is required (echo the one Lease returned)");
  }
  return absl::OkStatus();
}

}  // namespace

std::string JobManager::NewLeaseToken() {
  // std::random_device reads the kernel's generator: lease tokens must not be guessable from the
  // job ids another worker has seen.
  std::random_device device;
  return absl::StrFormat("%08x%08x%08x%08x", device(), device(), device(), device());
}

absl::StatusOr<std::optional<LeasedJob>> JobManager::Lease(const std::string& worker_id) {
  BS_RETURN_IF_ERROR(RequireId("worker_id", worker_id));
  int64_t now = clock_->NowMs();
  std::string token = NewLeaseToken();
  BS_ASSIGN_OR_RETURN(std::optional<JobRecord> job,
                      store_->LeaseNext(worker_id, token, now, options_.lease_ms));
  if (!job) return std::optional<LeasedJob>();
  metrics_->ObserveQueueWait((now - job->queued_ms) / 1000.0);
  metrics_->CountLease(!job->checkpoint_blob.empty());
  hub_->Notify(job->id);
  LeasedJob leased;
  leased.lease = LeaseRef{worker_id, job->id, job->attempt, token};
  if (!job->model_blob.empty()) {
    BS_ASSIGN_OR_RETURN(leased.onnx_model, blobs_->Read(job->model_blob));
  }
  // A stored profile travels with the lease; a missing one (it was checked at submission)
  // leaves the field empty and the pipeline's own lookup reports it.
  absl::StatusOr<std::string> profile = ProfileJsonForJob(*store_, job->spec_json);
  if (profile.ok()) {
    leased.profile_json = std::move(*profile);
  } else if (!absl::IsNotFound(profile.status())) {
    return profile.status();
  }
  // A sweep point starts from the float model its pretraining made (a point whose pretraining
  // left no model trains its own: slower, same result).
  if (!job->depends_on.empty()) {
    BS_ASSIGN_OR_RETURN(JobRecord pretrain, store_->GetJob(job->depends_on));
    absl::StatusOr<std::vector<ExportedFile>> files =
        LoadExportFiles(*blobs_, pretrain.id, pretrain.attempt);
    if (files.ok()) {
      for (ExportedFile& f : *files) {
        if (f.name == kPretrainedModelFile) leased.pretrained_model = std::move(f.data);
      }
    } else if (!absl::IsNotFound(files.status())) {
      return files.status();
    }
  }
  leased.job = std::move(*job);
  return std::optional<LeasedJob>(std::move(leased));
}

absl::StatusOr<HeartbeatReply> JobManager::Heartbeat(const LeaseRef& lease) {
  BS_RETURN_IF_ERROR(ValidateLeaseRef(lease));
  return store_->Heartbeat(lease, clock_->NowMs(), options_.lease_ms);
}

absl::StatusOr<bool> JobManager::ReportProgress(const LeaseRef& lease,
                                                std::vector<JobEvent> events) {
  BS_RETURN_IF_ERROR(ValidateLeaseRef(lease));
  if (static_cast<int64_t>(events.size()) > options_.limits.max_events_per_report) {
    return absl::InvalidArgumentError(absl::StrCat("events holds ", events.size(),
                                                   " events; the limit is ",
                                                   options_.limits.max_events_per_report));
  }
  BS_RETURN_IF_ERROR(ValidateWorkerEvents(events));
  // A job's log is capped: past the cap, progress and log lines are dropped and only phase
  // boundaries are kept (up to a reserve), so a runaway worker cannot fill the database.
  BS_ASSIGN_OR_RETURN(JobRecord job, store_->GetJob(lease.job_id));
  int64_t room = options_.limits.max_events_per_job - job.last_sequence;
  if (room < static_cast<int64_t>(events.size())) {
    std::vector<JobEvent> kept;
    for (JobEvent& e : events) {
      bool boundary = e.type == JobEvent::Type::kPhaseStart || e.type == JobEvent::Type::kPhaseEnd;
      if (static_cast<int64_t>(kept.size()) < room ||
          (boundary && static_cast<int64_t>(kept.size()) < room + kPhaseEventReserve)) {
        kept.push_back(std::move(e));
      }
    }
    events = std::move(kept);
  }
  std::vector<std::pair<std::string, double>> phase_ends;
  for (const JobEvent& e : events) {
    if (e.type == JobEvent::Type::kPhaseEnd) phase_ends.emplace_back(e.phase, e.seconds);
  }
  BS_ASSIGN_OR_RETURN(bool cancel,
                      store_->AppendWorkerEvents(lease, std::move(events), clock_->NowMs()));
  for (const auto& [phase, seconds] : phase_ends) metrics_->ObservePhase(phase, seconds);
  hub_->Notify(lease.job_id);
  return cancel;
}

absl::StatusOr<std::unique_ptr<CheckpointUpload>> JobManager::BeginCheckpointUpload(
    const LeaseRef& lease) {
  BS_RETURN_IF_ERROR(ValidateLeaseRef(lease));
  BS_RETURN_IF_ERROR(store_->CheckLease(lease).status());
  std::string blob = absl::StrCat("checkpoints/", lease.job_id, "-a", lease.attempt, "-",
                                  clock_->NowMs(), ".ckpt");
  BS_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, blobs_->BeginWrite(blob));
  return std::unique_ptr<CheckpointUpload>(
      new CheckpointUpload(this, lease, std::move(blob), std::move(writer)));
}

absl::Status CheckpointUpload::Append(const std::string& chunk) {
  const Limits& limits = manager_->options_.limits;
  if (writer_ == nullptr) return absl::FailedPreconditionError("checkpoint upload already ended");
  if (ended_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint upload of job ", lease_.job_id, " sent a chunk after its final chunk"));
  }
  if (static_cast<int64_t>(chunk.size()) > limits.checkpoint_chunk_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint chunk of ", chunk.size(),
                                                   " bytes; the limit is ",
                                                   limits.checkpoint_chunk_bytes));
  }
  if (size_ + static_cast<int64_t>(chunk.size()) > limits.max_checkpoint_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("checkpoint exceeds the limit of ",
                                                     limits.max_checkpoint_bytes, " bytes"));
  }
  BS_RETURN_IF_ERROR(writer_->Append(chunk));
  size_ += static_cast<int64_t>(chunk.size());
  return absl::OkStatus();
}

absl::Status CheckpointUpload::End(int64_t total_bytes) {
  if (writer_ == nullptr) return absl::FailedPreconditionError("checkpoint upload already ended");
  if (total_bytes != size_) {
    return absl::DataLossError(absl::StrCat("checkpoint upload of job ", lease_.job_id,
                                            " carried ", size_, " bytes but its final chunk says ",
                                            total_bytes, "; not published"));
  }
  ended_ = true;
  return absl::OkStatus();
}

int64_t CheckpointUpload::size() const { return size_; }

absl::StatusOr<int64_t> CheckpointUpload::Commit() {
  if (writer_ == nullptr) return absl::FailedPreconditionError("checkpoint upload already ended");
  if (!ended_) {
    return absl::DataLossError(absl::StrCat("checkpoint upload of job ", lease_.job_id,
                                            " ended after ", size_,
                                            " bytes without its final chunk; not published"));
  }
  BS_RETURN_IF_ERROR(writer_->Commit());
  writer_.reset();
  JobManager& m = *manager_;
  absl::StatusOr<std::string> replaced =
      m.store_->SetCheckpoint(lease_, blob_, size_, m.clock_->NowMs());
  if (!replaced.ok()) {
    (void)m.blobs_->Remove(blob_);
    return replaced.status();
  }
  if (!replaced->empty() && *replaced != blob_) (void)m.blobs_->Remove(*replaced);
  return size_;
}

absl::StatusOr<FILE*> JobManager::OpenCheckpoint(const LeaseRef& lease) {
  BS_RETURN_IF_ERROR(ValidateLeaseRef(lease));
  BS_ASSIGN_OR_RETURN(JobRecord job, store_->CheckLease(lease));
  if (job.checkpoint_blob.empty()) {
    return absl::NotFoundError(absl::StrCat("job ", job.id, " has no checkpoint"));
  }
  return blobs_->OpenForRead(job.checkpoint_blob);
}

absl::Status JobManager::Complete(const LeaseRef& lease, const std::string& result_json,
                                  const std::vector<ExportedFile>& export_files) {
  const Limits& limits = options_.limits;
  BS_RETURN_IF_ERROR(ValidateLeaseRef(lease));
  BS_RETURN_IF_ERROR(ValidateResultJson(result_json, limits.max_result_bytes));
  BS_RETURN_IF_ERROR(ValidateExportFiles(export_files, limits.max_model_bytes));
  // The files go first, under this attempt's own name: a refused completion removes only them,
  // and an accepted one never points at files that are not there yet.
  std::string export_blob;
  if (!export_files.empty()) {
    BS_RETURN_IF_ERROR(store_->CheckLease(lease).status());
    BS_ASSIGN_OR_RETURN(export_blob,
                        StoreExportFiles(*blobs_, lease.job_id, lease.attempt, export_files));
  }
  absl::StatusOr<JobRecord> completed = store_->Complete(lease, result_json, clock_->NowMs());
  if (!completed.ok()) {
    if (!export_blob.empty()) (void)blobs_->Remove(export_blob);
    return completed.status();
  }
  JobFinished(*completed);
  return absl::OkStatus();
}

absl::Status JobManager::Fail(const LeaseRef& lease, const std::string& error, bool cancelled) {
  BS_RETURN_IF_ERROR(ValidateLeaseRef(lease));
  std::string message = error.substr(0, kMaxErrorBytes);
  if (message.empty()) message = cancelled ? "cancelled" : "worker failed";
  BS_ASSIGN_OR_RETURN(JobRecord job, store_->Fail(lease, message, cancelled, clock_->NowMs()));
  JobFinished(job);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Profile>> JobManager::ListProfiles() { return store_->ListProfiles(); }

absl::StatusOr<Profile> JobManager::GetProfile(const std::string& name) {
  BS_RETURN_IF_ERROR(ValidateProfileRequestName(name));
  return store_->GetProfile(name);
}

absl::StatusOr<Profile> JobManager::PutProfile(const Profile& profile) {
  BS_RETURN_IF_ERROR(ValidateProfile(profile, options_.limits.max_profile_bytes));
  Profile p = profile;
  p.updated_ms = clock_->NowMs();
  p.size_bytes = static_cast<int64_t>(p.content.size());
  BS_RETURN_IF_ERROR(store_->PutProfile(p, p.updated_ms));
  p.content.clear();
  return p;
}

}  // namespace bitsearch::server
