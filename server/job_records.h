// The server's domain types: jobs, leases, events, profiles, as the store keeps them and the
// JobManager works with them. No gRPC or protobuf types here: handlers convert at the edge
// (proto_convert.h).
//
// Thread-safety: plain values.
#ifndef BITSEARCH_SERVER_JOB_RECORDS_H_
#define BITSEARCH_SERVER_JOB_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitsearch::server {

// Job states as stored ("QUEUED", ...), numbered as bitsearch.v1.JobState.
enum class JobState { kQueued = 1, kRunning, kSucceeded, kFailed, kCancelled };
const char* JobStateName(JobState state);
std::optional<JobState> ParseJobState(const std::string& name);
bool IsTerminal(JobState state);

// What a job runs (bitsearch.v1.JobKind): the whole pipeline, or a sweep's shared pretraining.
enum class JobKind { kSearch = 1, kPretrain = 2 };
const char* JobKindName(JobKind kind);  // "search" | "pretrain", as stored

struct JobRecord {
  int64_t seq = 0;               // insertion order (the pagination cursor)
  std::string id;
  std::string name;
  JobState state = JobState::kQueued;
  std::string spec_json;
  std::string client_request_id;
  std::string owner;             // principal of the client token that submitted it ("" = none)
  std::string model_blob;        // blob name of the uploaded ONNX model, "" when none
  std::string checkpoint_blob;   // blob name of the latest checkpoint, "" when none
  int64_t checkpoint_size = 0;
  int64_t created_ms = 0;
  int64_t queued_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int attempt = 0;
  std::string lease_owner;       // worker id of the current (or last) lease
  std::string lease_token;       // secret of the current lease; only its holder may use it
  int64_t lease_expires_ms = 0;
  bool cancel_requested = false;
  std::string error;
  std::string phase;
  int64_t last_sequence = 0;
  bool has_result = false;
  std::string sweep_id;          // "" for a job submitted alone
  JobKind kind = JobKind::kSearch;
  std::string depends_on;        // leased only once this job SUCCEEDED ("" = no dependency)
  std::string settings_json;     // a sweep point's settings ({"search.mu": 0.1}), "" otherwise
};

struct NewJob {
  std::string id;
  std::string name;
  std::string spec_json;
  std::string client_request_id;  // "" = no idempotency key
  std::string model_blob;
  std::string owner;              // "" = nobody in particular (ownership off)
  // Sweeps only (defaulted, so plain jobs are built without naming them):
  std::string sweep_id{};         // set by CreateSweep
  JobKind kind = JobKind::kSearch;
  std::string depends_on{};       // leased only once this job SUCCEEDED
  std::string settings_json{};    // the point's settings ({"search.mu": 0.1})
};

// A sweep as stored; its state, error and end are derived from its jobs (SweepInfo).
struct SweepRow {
  int64_t seq = 0;               // insertion order (the pagination cursor)
  std::string id;
  std::string name;
  std::string spec_json;         // the spec with its sweep block, as submitted
  std::string client_request_id;
  std::string owner;
  int64_t created_ms = 0;
  bool cancel_requested = false;
};

struct NewSweep {
  std::string id;
  std::string name;
  std::string spec_json;
  std::string client_request_id;  // "" = no idempotency key
  std::string owner;
};

struct SweepPage {
  std::vector<SweepRow> sweeps;
  int64_t next_cursor = 0;  // 0 = no further page
};

// Identifies one lease: only calls naming the current owner, attempt and lease token are
// accepted.
struct LeaseRef {
  std::string worker_id;
  std::string job_id;
  int attempt = 0;
  std::string token;
};

struct JobPage {
  std::vector<JobRecord> jobs;
  int64_t next_cursor = 0;  // 0 = no further page
};

struct HeartbeatReply {
  bool cancel_requested = false;
  int64_t lease_expires_ms = 0;
};

struct Profile {
  std::string name;
  std::string format;
  std::string content;
  int64_t updated_ms = 0;
  int64_t size_bytes = 0;
};

// Mirrors bitsearch::Progress (search/observer.h).
struct JobProgress {
  std::string phase;
  int epoch = 0;
  int epochs = 0;
  int64_t step = 0;
  int64_t total_steps = 0;
  double loss = 0;
  double accuracy = 0;
  double expected_weight_bits = 0;
  double expected_act_bits = 0;
  double relative_bops_percent = 0;
  bool resumed = false;
};

// One entry of a job's event log; sequence numbers start at 1 and have no gaps.
struct JobEvent {
  enum class Type { kUnspecified = 0, kState, kPhaseStart, kProgress, kPhaseEnd, kLog };
  std::string job_id;
  int64_t sequence = 0;
  int64_t unix_ms = 0;
  Type type = Type::kUnspecified;
  std::optional<JobState> state;  // kState
  std::string phase;              // kPhaseStart, kPhaseEnd, kProgress
  int64_t total_steps = 0;        // kPhaseStart
  double seconds = 0;             // kPhaseEnd
  std::string message;            // kState, kPhaseEnd (summary), kLog
  std::optional<JobProgress> progress;  // kProgress
  int attempt = 0;                // the lease attempt it belongs to
};

// One file of a finished job's export (model.onnx, quant.json, model.pt).
struct ExportedFile {
  std::string name;
  std::string data;
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_JOB_RECORDS_H_
