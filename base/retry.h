// Exponential backoff with jitter for loops that retry a call while a peer is unreachable (the
// worker's calls to the server, the CLI's watch stream). Jitter spreads the retries of many
// workers that lost the same server, so a restarted server is not hit by all of them at once.
//
// Thread-safety: a Backoff belongs to one retry loop.
#ifndef BITSEARCH_BASE_RETRY_H_
#define BITSEARCH_BASE_RETRY_H_

#include <cstdint>
#include <functional>
#include <random>

namespace bitsearch {

struct BackoffOptions {
  double initial_seconds = 0.1;  // the first wait (before jitter)
  double max_seconds = 10;       // waits grow up to this (before jitter)
  double multiplier = 2;         // growth per failed try
  double jitter = 0.5;           // each wait is drawn from [(1 - jitter) * w, w]; 0 = none
};

class Backoff {
 public:
  // `seed` fixes the jitter sequence (tests); 0 seeds from std::random_device.
  explicit Backoff(BackoffOptions options, uint64_t seed = 0);

  // The wait before the next try, in seconds; grows with each call until Reset().
  double NextSeconds();
  // After a success: the next wait is the initial one again.
  void Reset() { current_ = options_.initial_seconds; }

 private:
  BackoffOptions options_;
  double current_;
  std::mt19937_64 rng_;
};

// Calls `attempt` until it returns true (done), `give_up_seconds` passed, or `abandon` (may be
// null) returns true; sleeps `backoff`'s waits between tries through `sleep` (seconds; may be
// null for std::this_thread::sleep_for). Returns whether `attempt` succeeded.
bool RetryWithBackoff(const std::function<bool()>& attempt, Backoff& backoff,
                      double give_up_seconds, const std::function<bool()>& abandon = nullptr,
                      const std::function<void(double)>& sleep = nullptr);

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_RETRY_H_
