// Places the labels of a scatter plot's points so that no label overlaps another label, a point
// marker or anything else the caller marks as taken, and every label stays inside the plot.
// Greedy: each label takes the first free spot on rings of growing radius around its point
// (right, upper right, lower right, left, ... ), else the free spot of a grid over the plot that
// is nearest its point (then a leader line joins them), else it is left out (a crowded sweep; the
// report's tables still have every figure).
//
// Torch-free. Thread-safety: pure function.
#ifndef BITSEARCH_SEARCH_REPORT_LABEL_LAYOUT_H_
#define BITSEARCH_SEARCH_REPORT_LABEL_LAYOUT_H_

#include <vector>

#include "search/report/svg_writer.h"

namespace bitsearch {

struct LabelRequest {
  double anchor_x = 0, anchor_y = 0;  // the point the label names
  double width = 0, height = 0;       // its text box
};

struct LabelPlacement {
  bool placed = false;
  Box box;                    // where the text box goes (when placed)
  bool needs_leader = false;  // placed away from its point: draw a line from the point to it
};

// Places `labels` in order (earlier labels get the better spots) inside `bounds`, avoiding
// `obstacles` and each other, keeping `gap` pixels from what they avoid.
std::vector<LabelPlacement> PlaceLabels(const std::vector<LabelRequest>& labels,
                                        const std::vector<Box>& obstacles, const Box& bounds,
                                        double gap = 2);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_LABEL_LAYOUT_H_
