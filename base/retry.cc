#include "base/retry.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace bitsearch {

Backoff::Backoff(BackoffOptions options, uint64_t seed)
    : options_(options),
      current_(options.initial_seconds),
      rng_(seed != 0 ? seed : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {
  options_.jitter = std::clamp(options_.jitter, 0.0, 1.0);
  options_.multiplier = std::max(1.0, options_.multiplier);
}

double Backoff::NextSeconds() {
  double wait = std::min(current_, options_.max_seconds);
  current_ = std::min(current_ * options_.multiplier, options_.max_seconds);
  if (options_.jitter <= 0) return wait;
  std::uniform_real_distribution<double> factor(1.0 - options_.jitter, 1.0);
  return wait * factor(rng_);
}

bool RetryWithBackoff(const std::function<bool()>& attempt, Backoff& backoff,
                      double give_up_seconds, const std::function<bool()>& abandon,
                      const std::function<void(double)>& sleep) {
  auto start = std::chrono::steady_clock::now();
  while (true) {
    if (attempt()) return true;
    if (abandon && abandon()) return false;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed > give_up_seconds) return false;
    double wait = backoff.NextSeconds();
    if (sleep) {
      sleep(wait);
    } else {
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
  }
}

}  // namespace bitsearch
