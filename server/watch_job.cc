// The WatchJob stream: replays a job's event log after a sequence number, then follows it live
// until the job is terminal. Woken by the EventHub; the store is always re-read, so a wakeup
// that races a write costs nothing.
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "server/job_service.h"
#include "server/proto_convert.h"

namespace bitsearch::server {
namespace {

constexpr char kMethod[] = "bitsearch.v1.JobService/WatchJob";
constexpr int kBatch = 256;

class WatchJobReactor final : public grpc::ServerWriteReactor<bitsearch::v1::JobEvent>,
                              public EventListener,
                              public std::enable_shared_from_this<WatchJobReactor> {
 public:
  WatchJobReactor(const ServiceContext& sc, std::string job_id, int64_t after_sequence)
      : sc_(sc), timer_(sc, kMethod), job_id_(std::move(job_id)), last_sent_(after_sequence) {}

  // Keeps itself alive until OnDone; the hub holds only a weak reference.
  void Start(std::shared_ptr<WatchJobReactor> self, absl::Status precheck) {
    {
      absl::MutexLock lock(&mu_);
      self_ = std::move(self);
      if (!precheck.ok()) {
        FinishLocked(precheck);
        return;
      }
    }
    sc_.jobs->hub().Subscribe(job_id_, weak_from_this());
    Pump();
  }

  void OnJobChanged() override { Pump(); }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok || cancelled_) {
        FinishLocked(absl::CancelledError("watch stream closed by the client"));
        return;
      }
      last_sent_ = pending_.front().sequence();
      pending_.pop_front();
    }
    Pump();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (!writing_) FinishLocked(absl::CancelledError("watch stream closed by the client"));
  }

  void OnDone() override {
    std::shared_ptr<WatchJobReactor> self;
    {
      absl::MutexLock lock(&mu_);
      self = std::move(self_);
    }
    EventHub* hub = &sc_.jobs->hub();
    std::string job_id = job_id_;
    self.reset();  // may delete this: touch no member below
    hub->Unsubscribe(job_id);
  }

 private:

  // Sends the next event, refills from the store, or finishes when the job is terminal.
  void Pump() {
    absl::MutexLock lock(&mu_);
    if (finished_ || writing_) return;
    if (cancelled_) {
      FinishLocked(absl::CancelledError("watch stream closed by the client"));
      return;
    }
    if (pending_.empty()) {
      absl::Status st = Refill();
      if (!st.ok()) {
        FinishLocked(st);
        return;
      }
    }
    if (pending_.empty()) {
      absl::StatusOr<JobRecord> job = sc_.jobs->Peek(job_id_);
      if (!job.ok()) {
        FinishLocked(job.status());
        return;
      }
      if (IsTerminal(job->state)) {
        // The terminal state and its event commit together: one more read sees the event.
        absl::Status st = Refill();
        if (!st.ok() || pending_.empty()) {
          FinishLocked(st);
          return;
        }
      } else if (sc_.jobs->hub().shutting_down()) {
        FinishLocked(absl::UnavailableError("server is shutting down; watch again to resume"));
        return;
      } else {
        return;  // wait for the hub
      }
    }
    writing_ = true;
    StartWrite(&pending_.front());
  }

  absl::Status Refill() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    BS_ASSIGN_OR_RETURN(std::vector<JobEvent> events,
                        sc_.jobs->ReadEvents(job_id_, last_sent_, kBatch));
    for (const JobEvent& e : events) ToProto(e, &pending_.emplace_back());
    return absl::OkStatus();
  }

  void FinishLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(timer_.Finish(status));
  }

  const ServiceContext& sc_;
  const RpcTimer timer_;
  const std::string job_id_;
  absl::Mutex mu_;
  std::shared_ptr<WatchJobReactor> self_ ABSL_GUARDED_BY(mu_);
  std::deque<bitsearch::v1::JobEvent> pending_ ABSL_GUARDED_BY(mu_);
  int64_t last_sent_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<bitsearch::v1::JobEvent>* StartWatchJob(
    const ServiceContext& sc, grpc::CallbackServerContext* ctx,
    const bitsearch::v1::WatchJobRequest& request) {
  auto reactor = std::make_shared<WatchJobReactor>(sc, request.job_id(), request.after_sequence());
  absl::StatusOr<Caller> caller = sc.auth->Authenticate(ctx, {Role::kClient}, kMethod);
  absl::Status precheck = caller.status();
  if (precheck.ok()) {
    precheck = sc.jobs->CheckWatch(*caller, request.job_id(), request.after_sequence());
  }
  WatchJobReactor* raw = reactor.get();
  raw->Start(std::move(reactor), precheck);
  return raw;
}

}  // namespace bitsearch::server
