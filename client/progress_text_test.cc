#include "client/progress_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace bitsearch {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(ProgressTextTest, BarShowsTheShareDone) {
  EXPECT_EQ(ProgressBar(0, 100, 10), "[----------]");
  EXPECT_EQ(ProgressBar(50, 100, 10), "[#####-----]");
  EXPECT_EQ(ProgressBar(100, 100, 10), "[##########]");
  EXPECT_EQ(ProgressPercent(420, 1266), 33);
}

// A server stores whatever a worker reported; `watch` once aborted (std::length_error, exit 134)
// on a step past the total or below zero. Every such event now draws a full-width bar.
TEST(ProgressTextTest, ImpossibleStepsDrawABarOfTheSameWidth) {
  const std::pair<int64_t, int64_t> cases[] = {
      {500, 100}, {-5, 100}, {5, 0}, {5, -1}, {-5, -1}, {kMax, 1}, {kMin, 1}, {1, kMax}, {kMax, kMax}, {kMin, kMin}};
  for (auto [step, total] : cases) {
    std::string bar = ProgressBar(step, total, 24);
    EXPECT_EQ(bar.size(), 26u) << step << "/" << total;
    int percent = ProgressPercent(step, total);
    EXPECT_GE(percent, 0);
    EXPECT_LE(percent, 100);
  }
  EXPECT_EQ(ProgressBar(500, 100, 4), "[####]");
  EXPECT_EQ(ProgressBar(-5, 100, 4), "[----]");
  EXPECT_EQ(ProgressBar(3, 10, -7), "[]");
}

TEST(ProgressTextTest, LineRendersAnyProgressSample) {
  Progress p;
  p.phase = "search";
  p.epoch = 2;
  p.epochs = 3;
  p.step = 420;
  p.total_steps = 1266;
  p.loss = 0.4312;
  p.accuracy = 88.1;
  p.expected_weight_bits = 4.1;
  p.expected_act_bits = 6.02;
  p.relative_bops_percent = 1.2;
  EXPECT_EQ(ProgressLine(p),
            "search    epoch 2/3 [#######-----------------] 420/1266 loss 0.4312 acc 88.1% | E[bits] w 4.10 "
            "a 6.02 | rel. BOPs 1.20%");
  Progress steps_only;  // AdaRound: layers x iterations, no epochs
  steps_only.phase = "baseline:ptq-w4a8-adaround";
  steps_only.step = 20000;
  steps_only.total_steps = 40000;
  steps_only.loss = 0.0123;
  EXPECT_EQ(ProgressLine(steps_only),
            "baseline:ptq-w4a8-adaround [############------------] 20000/40000 loss 0.0123");
  Progress hostile;
  hostile.phase = std::string("\x1b]0;pwned\x07") + std::string(10000, 'x');
  hostile.step = kMin;
  hostile.total_steps = -3;
  hostile.epoch = -1;
  hostile.loss = std::nan("");
  hostile.accuracy = std::numeric_limits<double>::infinity();
  std::string line = ProgressLine(hostile);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_LT(line.size(), 300u);
}

}  // namespace
}  // namespace bitsearch
