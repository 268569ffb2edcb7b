#include "search/report/label_layout.h"

#include <gtest/gtest.h>

#include <random>

#include "search/report/test_util.h"

namespace bitsearch {
namespace {

// Every placed label is inside the bounds and overlaps no other label and no obstacle.
void ExpectClean(const std::vector<LabelPlacement>& placed, const std::vector<Box>& obstacles,
                 const Box& bounds) {
  std::vector<Box> boxes;
  for (const LabelPlacement& p : placed) {
    if (!p.placed) continue;
    EXPECT_TRUE(p.box.Inside(bounds));
    for (const Box& o : obstacles) EXPECT_FALSE(p.box.Intersects(o));
    boxes.push_back(p.box);
  }
  EXPECT_TRUE(Overlaps(boxes).empty()) << Overlaps(boxes)[0];
}

TEST(LabelLayoutTest, ALoneLabelSitsRightOfItsPoint) {
  Box bounds{0, 0, 400, 300};
  std::vector<LabelPlacement> p = PlaceLabels({{100, 100, 50, 12}}, {{95, 95, 105, 105}}, bounds);
  ASSERT_TRUE(p[0].placed);
  EXPECT_GT(p[0].box.x0, 105);
  EXPECT_LT(p[0].box.x0, 115);
  EXPECT_FALSE(p[0].needs_leader);
}

TEST(LabelLayoutTest, ALabelAtTheRightEdgeGoesLeft) {
  Box bounds{0, 0, 400, 300};
  std::vector<LabelPlacement> p = PlaceLabels({{395, 150, 60, 12}}, {}, bounds);
  ASSERT_TRUE(p[0].placed);
  EXPECT_LT(p[0].box.x1, 395);
  ExpectClean(p, {}, bounds);
}

TEST(LabelLayoutTest, TwelveLabelsOfOnePointAllFindASpot) {
  // Baselines and the searched/final models can sit on top of each other.
  Box bounds{0, 0, 500, 260};
  std::vector<LabelRequest> labels(12, LabelRequest{250, 130, 70, 12});
  std::vector<Box> markers = {{244, 124, 256, 136}};
  std::vector<LabelPlacement> p = PlaceLabels(labels, markers, bounds);
  for (const LabelPlacement& l : p) EXPECT_TRUE(l.placed);
  ExpectClean(p, markers, bounds);
}

TEST(LabelLayoutTest, RandomCrowdsNeverOverlap) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    Box bounds{10, 10, 610, 310};
    std::uniform_real_distribution<double> x(10, 610), y(10, 310), w(20, 120);
    std::vector<LabelRequest> labels;
    std::vector<Box> markers;
    int n = 5 + trial;  // up to 54: more than fit, in the later trials
    for (int i = 0; i < n; ++i) {
      double ax = x(rng), ay = y(rng);
      labels.push_back({ax, ay, w(rng), 12});
      markers.push_back({ax - 6, ay - 6, ax + 6, ay + 6});
    }
    std::vector<LabelPlacement> p = PlaceLabels(labels, markers, bounds);
    ExpectClean(p, markers, bounds);
    if (n <= 15) {
      for (const LabelPlacement& l : p) EXPECT_TRUE(l.placed) << "trial " << trial;
    }
  }
}

TEST(LabelLayoutTest, ALabelThatCannotFitIsLeftOut) {
  Box bounds{0, 0, 100, 40};
  std::vector<LabelPlacement> p = PlaceLabels({{50, 20, 300, 12}}, {}, bounds);
  EXPECT_FALSE(p[0].placed);
}

}  // namespace
}  // namespace bitsearch
