// Wakes WatchJob streams when their job's event log grows. The store is the source of truth; the
// hub only says "look again", so a missed wakeup costs latency, never events.
//
// Thread-safety: all methods are thread-safe. Listeners are called without the hub's lock held,
// so a listener may finish its call (and unsubscribe) from inside OnJobChanged.
#ifndef BITSEARCH_SERVER_EVENT_HUB_H_
#define BITSEARCH_SERVER_EVENT_HUB_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace bitsearch::server {

class EventListener {
 public:
  virtual ~EventListener() = default;
  // The job's log or state changed, or the hub is shutting down (check EventHub::shutting_down).
  virtual void OnJobChanged() = 0;
};

class EventHub {
 public:
  void Subscribe(const std::string& job_id, std::weak_ptr<EventListener> listener);
  // Drops expired listeners of `job_id` (called by a listener that is done).
  void Unsubscribe(const std::string& job_id);
  void Notify(const std::string& job_id);
  // Marks the hub as shutting down and wakes every listener so streams can end.
  void Shutdown();
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  absl::Mutex mu_;
  std::multimap<std::string, std::weak_ptr<EventListener>> listeners_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> shutting_down_{false};
};

}  // namespace bitsearch::server

#endif  // BITSEARCH_SERVER_EVENT_HUB_H_
