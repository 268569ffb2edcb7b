// The server's core (TensorFlow Serving's ServerCore in spirit): owns the store, the blobs, the
// event hub and the job metrics, and holds every rule of the job life cycle: validation at
// submission, ownership, leases, progress, checkpoints, completion (with its export files and
// their undo), failure, reaping and retention clean-up. The gRPC handlers only convert messages
// and call it, so all of this is tested without gRPC (job_manager_test.cc).
//
// Split by concern: job_manager.cc (client side: submit, get, list, cancel, result, watch),
// job_manager_sweeps.cc (sweeps), job_manager_worker.cc (worker side: lease, heartbeat, progress,
// checkpoints, complete, fail), job_manager_upkeep.cc (reaping, gauges, retention).
// Thread-safety: every method may be called from any thread; state lives in the store.
#ifndef BITSEARCH_SERVER_JOB_MANAGER_H_
#define BITSEARCH_SERVER_JOB_MANAGER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "server/blob_store.h"
#include "server/caller.h"
#include "server/event_hub.h"
#include "server/job_records.h"
#include "search/spec.h"
#include "server/job_store.h"
#include "server/metrics.h"

namespace bitsearch::server {

// Size limits enforced before anything is stored.
struct Limits {
  int64_t max_spec_bytes = 256 << 10;
  int64_t max_model_bytes = 64 << 20;
  int64_t max_result_bytes = 16 << 20;
  int64_t max_profile_bytes = 8 << 20;
  int64_t max_checkpoint_bytes = int64_t{4} << 30;
  int64_t checkpoint_chunk_bytes = 1 << 20;
  int max_events_per_report = 1000;
  int64_t max_event_bytes = 64 << 10;       // one progress event, serialized
  int64_t max_events_per_job = 100'000;     // a job's whole log; later worker events are refused
  int max_page_size = 1000;
  // gRPC refuses any single message above this (RESOURCE_EXHAUSTED naming both sizes).
  int max_message_bytes = (64 << 20) + (1 << 20);
};

struct JobManagerOptions {
  Limits limits;
  int64_t lease_ms = 60'000;       // a lease lives this long without a heartbeat
  int max_attempts = 3;            // leases per job before it FAILs
  bool job_ownership = false;      // clients see only their own jobs (admins see all)
  // Uploaded models and the checkpoints of jobs that did not succeed are removed this long
  // after the job finished; 0 keeps them forever.
  int64_t retention_ms = int64_t{7} * 24 * 3600 * 1000;
};

struct SubmitRequest {
  std::string spec_json;
  std::string client_request_id;  // "" = no idempotency key
  std::string onnx_model;         // uploaded model bytes, "" = none
};

struct SubmitOutcome {
  JobRecord job;
  bool deduplicated = false;
};

// One page of ListJobs or ListSweeps, newest first.
template <typename Item>
struct Listing {
  std::vector<Item> items;
  std::string next_page_token;  // "" on the last page
};
using JobListing = Listing<JobRecord>;

struct JobResult {
  std::string result_json;
  std::vector<ExportedFile> export_files;  // with include_export
};

// What a worker gets with a lease.
struct LeasedJob {
  JobRecord job;
  LeaseRef lease;
  std::string onnx_model;    // the uploaded model, "" when none
  std::string profile_json;  // the stored profile hardware.profile names, "" for a built-in
  std::string pretrained_model;  // the float model of the pretraining this job depends on
                                 // (its export file kPretrainedModelFile, search/pretrain_key.h), "" when none
};

struct SubmitSweepRequest {
  std::string spec_json;          // a spec with a "sweep" block
  std::string client_request_id;  // "" = no idempotency key
};

// A sweep with its jobs and what follows from them.
struct SweepInfo {
  SweepRow sweep;
  JobState state = JobState::kQueued;  // SweepStateOf its jobs
  std::string error;                   // why it FAILED
  int64_t finished_ms = 0;             // the last job's end, once every job finished
  std::vector<JobRecord> points;       // search jobs, in expansion order
  std::vector<JobRecord> pretrain_jobs;
};

struct SubmitSweepOutcome {
  SweepInfo sweep;
  bool deduplicated = false;
};

using SweepListing = Listing<SweepInfo>;

// One checkpoint upload in progress: chunks are appended to a temporary blob that replaces the
// job's checkpoint on Commit() if the lease still holds; dropped without Commit(), it leaves
// nothing behind. The upload proves its own end: Commit() publishes only after End() saw the
// worker's final chunk and its size matched, so no way a stream can stop early (a worker killed
// mid-upload, a broken connection, a half-close before the final chunk) publishes a truncated
// checkpoint over the last good one, whatever the transport reports about how it stopped.
class CheckpointUpload {
 public:
  // INVALID_ARGUMENT after End() (nothing may follow the final chunk).
  absl::Status Append(const std::string& chunk);
  // The final chunk (already appended) says the checkpoint has `total_bytes`; DATA_LOSS when
  // that is not what arrived.
  absl::Status End(int64_t total_bytes);
  // Publishes the checkpoint; returns its size in bytes. DATA_LOSS (nothing published) when
  // End() did not succeed first.
  absl::StatusOr<int64_t> Commit();

  const std::string& job_id() const { return lease_.job_id; }
  // Bytes received so far.
  int64_t size() const;

 private:
  friend class JobManager;
  CheckpointUpload(class JobManager* manager, LeaseRef lease, std::string blob,
                   std::unique_ptr<BlobWriter> writer)
      : manager_(manager), lease_(std::move(lease)), blob_(std::move(blob)),
        writer_(std::move(writer)) {}

  JobManager* manager_;
  LeaseRef lease_;
  std::string blob_;
  std::unique_ptr<BlobWriter> writer_;
  int64_t size_ = 0;
  bool ended_ = false;  // End() succeeded
};

class JobManager {
 public:
  // All pointers must outlive the manager.
  JobManager(ServerStore* store, BlobStore* blobs, EventHub* hub, ServerMetrics* metrics,
             const Clock* clock, JobManagerOptions options);

  const JobManagerOptions& options() const { return options_; }
  EventHub& hub() { return *hub_; }
  ServerStore& store() { return *store_; }

  // ---- JobService ----
  absl::StatusOr<SubmitOutcome> Submit(const Caller& caller, const SubmitRequest& request);
  absl::StatusOr<JobRecord> GetJob(const Caller& caller, const std::string& id);
  // `page_token` is a next_page_token of an earlier page ("" = the newest); `page_size` 0 = 50.
  absl::StatusOr<JobListing> ListJobs(const Caller& caller, std::optional<JobState> state,
                                      const std::string& page_token, int page_size);
  absl::StatusOr<JobRecord> CancelJob(const Caller& caller, const std::string& id);
  absl::StatusOr<JobResult> GetResult(const Caller& caller, const std::string& id,
                                      bool include_export);
  // Checks that `caller` may watch `id` from `after_sequence`.
  absl::Status CheckWatch(const Caller& caller, const std::string& id, int64_t after_sequence);
  // The watch stream's reads (after CheckWatch).
  absl::StatusOr<std::vector<JobEvent>> ReadEvents(const std::string& id, int64_t after_sequence,
                                                   int limit);
  absl::StatusOr<JobRecord> Peek(const std::string& id) { return store_->GetJob(id); }

  // ---- Sweeps (job_manager_sweeps.cc) ----
  // Expands the spec's sweep block (search/sweep.h), gives every group of points that train the
  // same float model one pretraining job they depend on, and stores the sweep with its jobs.
  absl::StatusOr<SubmitSweepOutcome> SubmitSweep(const Caller& caller, const SubmitSweepRequest& request);
  absl::StatusOr<SweepInfo> GetSweep(const Caller& caller, const std::string& id);
  absl::StatusOr<SweepListing> ListSweeps(const Caller& caller, const std::string& page_token,
                                          int page_size);
  // Cancels the sweep's queued and running jobs.
  absl::StatusOr<SweepInfo> CancelSweep(const Caller& caller, const std::string& id);
  // The sweep's result JSON (search/report/sweep_result.h); FAILED_PRECONDITION while no point
  // has a result.
  absl::StatusOr<std::string> GetSweepResult(const Caller& caller, const std::string& id);

  // ---- WorkerService ----
  // The oldest queued job, or nullopt when none is queued.
  absl::StatusOr<std::optional<LeasedJob>> Lease(const std::string& worker_id);
  absl::StatusOr<HeartbeatReply> Heartbeat(const LeaseRef& lease);
  // Stores the worker's events; returns whether the job was cancelled.
  absl::StatusOr<bool> ReportProgress(const LeaseRef& lease, std::vector<JobEvent> events);
  absl::StatusOr<std::unique_ptr<CheckpointUpload>> BeginCheckpointUpload(const LeaseRef& lease);
  // The current checkpoint for streaming (caller fcloses); NOT_FOUND when there is none.
  absl::StatusOr<FILE*> OpenCheckpoint(const LeaseRef& lease);
  absl::Status Complete(const LeaseRef& lease, const std::string& result_json,
                        const std::vector<ExportedFile>& export_files);
  absl::Status Fail(const LeaseRef& lease, const std::string& error, bool cancelled);

  // ---- ProfileService ----
  absl::StatusOr<std::vector<Profile>> ListProfiles();
  absl::StatusOr<Profile> GetProfile(const std::string& name);
  // Validates (the latency models' own parsers) and stores; returns it without content.
  absl::StatusOr<Profile> PutProfile(const Profile& profile);

  // ---- Upkeep (the reaper's passes; job_manager_upkeep.cc) ----
  // Server start: running leases get `grace_ms` for their workers to reconnect.
  absl::Status GraceRunningLeases(int64_t grace_ms);
  // Requeues or fails jobs whose lease expired; returns how many changed.
  absl::StatusOr<int> ReapExpiredLeases();
  // Jobs by state and connected workers, for the gauges.
  absl::Status RefreshGauges();
  // Removes uploaded models and leftover checkpoints of jobs finished longer than the retention
  // period ago; returns how many jobs it cleaned.
  absl::StatusOr<int> RemoveExpiredBlobs();

 private:
  friend class CheckpointUpload;

  // What a listing (ListJobs, ListSweeps: `method`) asks the store for: how many (page_size 0 =
  // 50, capped at limits.max_page_size), below which seq (page_token = an earlier page's
  // next_page_token) and whose records ("" = everyone's; with job ownership on, the caller's own
  // unless an admin).
  struct ListQuery {
    int limit = 0;
    int64_t cursor = 0;
    std::string owner;
  };
  absl::StatusOr<ListQuery> ListQueryOf(const Caller& caller, const std::string& page_token, int page_size,
                                        absl::string_view method) const;
  // PERMISSION_DENIED when job ownership is on and record `kind` ("job", "sweep") `id`, owned by
  // `owner`, is not the caller's (an admin sees every record).
  absl::Status CheckOwner(const Caller& caller, const std::string& owner, absl::string_view kind,
                          const std::string& id) const;
  // The job if `caller` may see it (NOT_FOUND / PERMISSION_DENIED otherwise).
  absl::StatusOr<JobRecord> VisibleJob(const Caller& caller, const std::string& id);
  // The one place a job's end is recorded: metrics, blobs it no longer needs, watchers; a failed
  // or cancelled pretraining fails the jobs that wait for it.
  void JobFinished(const JobRecord& job);
  // Fails the queued jobs whose dependency failed or was cancelled (also a reaper pass, so that
  // a crash between a pretraining's end and this leaves no point waiting forever).
  absl::Status FailBlockedJobs();
  // The sweep if `caller` may see it (NOT_FOUND / PERMISSION_DENIED otherwise), with its jobs.
  absl::StatusOr<SweepInfo> VisibleSweep(const Caller& caller, const std::string& id);
  absl::StatusOr<SweepInfo> SweepInfoOf(SweepRow sweep);
  // The files a spec names, checked before it is stored (a job's or a sweep point's): paths the
  // workers resolve inside their --data-root (absolute ones and ".." refused here), and an
  // uploaded data set's name pinned to its digest, so a later upload changes no queued job.
  absl::Status CheckSpecInputs(JobSpec* spec, bool model_uploaded);
  std::string NewJobId();
  std::string NewSweepId();
  std::string NewLeaseToken();

  ServerStore* store_;
  BlobStore* blobs_;
  EventHub* hub_;
  ServerMetrics* metrics_;
  const Clock* clock_;
  const JobManagerOptions options_;
  absl::Mutex rng_mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(rng_mu_);
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_JOB_MANAGER_H_
