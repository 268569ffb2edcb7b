#include "server/event_hub.h"

#include <vector>

namespace bitsearch::server {

void EventHub::Subscribe(const std::string& job_id, std::weak_ptr<EventListener> listener) {
  absl::MutexLock lock(&mu_);
  listeners_.emplace(job_id, std::move(listener));
}

void EventHub::Unsubscribe(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  auto [begin, end] = listeners_.equal_range(job_id);
  for (auto it = begin; it != end;) {
    it = it->second.expired() ? listeners_.erase(it) : std::next(it);
  }
}

void EventHub::Notify(const std::string& job_id) {
  std::vector<std::shared_ptr<EventListener>> live;
  {
    absl::MutexLock lock(&mu_);
    auto [begin, end] = listeners_.equal_range(job_id);
    for (auto it = begin; it != end; ++it) {
      if (auto l = it->second.lock()) live.push_back(std::move(l));
    }
  }
  for (auto& l : live) l->OnJobChanged();
}

void EventHub::Shutdown() {
  shutting_down_ = true;
  std::vector<std::shared_ptr<EventListener>> live;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, weak] : listeners_) {
      if (auto l = weak.lock()) live.push_back(std::move(l));
    }
  }
  for (auto& l : live) l->OnJobChanged();
}

}  // namespace bitsearch::server
