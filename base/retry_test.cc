#include "base/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace bitsearch {
namespace {

TEST(BackoffTest, GrowsToTheCapWithoutJitter) {
  Backoff b({0.1, 1.0, 2.0, 0.0});
  std::vector<double> waits;
  for (int i = 0; i < 6; ++i) waits.push_back(b.NextSeconds());
  EXPECT_EQ(waits, (std::vector<double>{0.1, 0.2, 0.4, 0.8, 1.0, 1.0}));
  b.Reset();
  EXPECT_EQ(b.NextSeconds(), 0.1);
}

TEST(BackoffTest, JitterStaysInItsBandAndSpreadsWorkers) {
  Backoff a({1.0, 1.0, 2.0, 0.5}, /*seed=*/1);
  Backoff b({1.0, 1.0, 2.0, 0.5}, /*seed=*/2);
  Backoff a_again({1.0, 1.0, 2.0, 0.5}, /*seed=*/1);
  int differ = 0;
  for (int i = 0; i < 50; ++i) {
    double x = a.NextSeconds(), y = b.NextSeconds();
    EXPECT_GE(x, 0.5);
    EXPECT_LE(x, 1.0);
    EXPECT_EQ(x, a_again.NextSeconds());  // a fixed seed repeats its sequence
    differ += x != y;
  }
  EXPECT_GT(differ, 45);  // two workers do not retry in lockstep
}

TEST(RetryWithBackoffTest, RetriesUntilDoneAndSleepsTheBackoffsWaits) {
  Backoff b({0.1, 10, 2.0, 0.0});
  std::vector<double> slept;
  int calls = 0;
  bool ok = RetryWithBackoff([&] { return ++calls == 4; }, b, /*give_up_seconds=*/60, nullptr,
                             [&](double s) { slept.push_back(s); });
  EXPECT_TRUE(ok);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(slept, (std::vector<double>{0.1, 0.2, 0.4}));
}

TEST(RetryWithBackoffTest, AbandonAndGiveUpStopIt) {
  Backoff b({0.001, 0.001, 2.0, 0.0});
  int calls = 0;
  EXPECT_FALSE(RetryWithBackoff([&] { return ++calls > 100; }, b, 60, [&] { return calls == 3; },
                                [](double) {}));
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_FALSE(RetryWithBackoff([&] { return ++calls > 1000000; }, b, /*give_up_seconds=*/0.05));
  EXPECT_GT(calls, 1);
}

}  // namespace
}  // namespace bitsearch
