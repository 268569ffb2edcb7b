// Wall-clock time source (leases, reaping, timestamps, retention), injectable so that tests can
// move time instead of sleeping.
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef BITSEARCH_BASE_CLOCK_H_
#define BITSEARCH_BASE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bitsearch {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
};

class SystemClock : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told to (tests).
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_CLOCK_H_
