#include "search/report/label_layout.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bitsearch {
namespace {

Box Grow(const Box& b, double d) { return {b.x0 - d, b.y0 - d, b.x1 + d, b.y1 + d}; }

bool Free(const Box& box, const std::vector<Box>& taken, const Box& bounds, double gap) {
  if (!box.Inside(bounds)) return false;
  Box padded = Grow(box, gap);
  for (const Box& t : taken) {
    if (padded.Intersects(t)) return false;
  }
  return true;
}

// Distance from (x, y) to the nearest point of `b`.
double Distance(const Box& b, double x, double y) {
  double dx = std::max({b.x0 - x, 0.0, x - b.x1});
  double dy = std::max({b.y0 - y, 0.0, y - b.y1});
  return std::hypot(dx, dy);
}

// The box of a label whose side (or corner) facing the anchor is `r` away in direction (dx, dy).
Box Around(const LabelRequest& l, double r, int dx, int dy) {
  double d = dx != 0 && dy != 0 ? r * 0.7071 : r;
  double x0 = dx > 0 ? l.anchor_x + d : dx < 0 ? l.anchor_x - d - l.width : l.anchor_x - l.width / 2;
  double y0 = dy > 0 ? l.anchor_y + d : dy < 0 ? l.anchor_y - d - l.height : l.anchor_y - l.height / 2;
  return {x0, y0, x0 + l.width, y0 + l.height};
}

}  // namespace

std::vector<LabelPlacement> PlaceLabels(const std::vector<LabelRequest>& labels,
                                        const std::vector<Box>& obstacles, const Box& bounds,
                                        double gap) {
  constexpr int kDirections[8][2] = {{1, 0}, {1, -1}, {1, 1}, {-1, 0}, {-1, -1}, {-1, 1}, {0, -1}, {0, 1}};
  constexpr double kRadii[] = {4, 10, 18, 28, 42, 60};
  constexpr double kLeaderFrom = 20;  // farther than this from its point, a label gets a leader
  std::vector<Box> taken = obstacles;
  std::vector<LabelPlacement> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const LabelRequest& l = labels[i];
    LabelPlacement& p = out[i];
    for (double r : kRadii) {
      for (const auto& dir : kDirections) {
        Box b = Around(l, r, dir[0], dir[1]);
        if (Free(b, taken, bounds, gap)) {
          p.placed = true;
          p.box = b;
          break;
        }
      }
      if (p.placed) break;
    }
    if (!p.placed) {  // the nearest free cell of a grid over the whole plot
      double best = std::numeric_limits<double>::infinity();
      for (double y = bounds.y0; y + l.height <= bounds.y1; y += std::max(2.0, l.height / 3)) {
        for (double x = bounds.x0; x + l.width <= bounds.x1; x += 4) {
          Box b{x, y, x + l.width, y + l.height};
          double d = Distance(b, l.anchor_x, l.anchor_y);
          if (d < best && Free(b, taken, bounds, gap)) {
            best = d;
            p.box = b;
            p.placed = true;
          }
        }
      }
    }
    if (p.placed) {
      p.needs_leader = Distance(p.box, l.anchor_x, l.anchor_y) > kLeaderFrom;
      taken.push_back(p.box);
    }
  }
  return out;
}

}  // namespace bitsearch
