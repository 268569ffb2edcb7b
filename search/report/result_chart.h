// The charts of a result: per-layer bits (final and searched), channels kept and latency; and
// top-1 accuracy against latency on the job's profile and against relative BOPs, both on a log
// axis, with the float model and the baselines on the same axes and the Pareto front drawn as a
// line through its points. `run` and `result --out` write it beside the result JSON as an SVG;
// the HTML report inlines it. Sweeps reuse DrawTradeoff for their fronts.
//
// Torch-free. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_REPORT_RESULT_CHART_H_
#define BITSEARCH_SEARCH_REPORT_RESULT_CHART_H_

#include <string>
#include <vector>

#include "search/report/result_view.h"
#include "search/report/svg_writer.h"

namespace bitsearch {

// One configuration on a trade-off plot.
struct ChartPoint {
  std::string label;    // shown beside the point ("final", "w4a4", "mu 0.1")
  std::string kind;     // colour and CSS class: final | searched | fp32 | baseline | point | method
  double accuracy = 0;  // top-1 %
  double cost = 0;      // latency or relative BOPs; > 0 (a log axis)
};

struct RenderedSvg {
  std::string svg;
  std::vector<Box> text_boxes;  // every text drawn (tests check that no two overlap)
  int labels_left_out = 0;      // point labels that found no free spot (crowded sweeps)
};

// Draws an accuracy-vs-cost plot into `area` of `svg` (title, legend, axes with titles, points
// with class "point KIND" and data-label/-accuracy/-cost/-pareto attributes, labels, Pareto
// front), in a <g> with the given id. Points with a non-finite or non-positive cost or accuracy
// are left out. Returns the number of point labels left out for want of space.
int DrawTradeoff(SvgWriter& svg, const Box& area, const std::string& id, const std::string& title,
                 const std::string& x_title, const std::vector<ChartPoint>& points);

// The points of a result on its accuracy-vs-latency plot (empty without a latency model) and on
// its accuracy-vs-relative-BOPs plot (fp32 at 100%).
std::vector<ChartPoint> LatencyPoints(const ResultView& v);
std::vector<ChartPoint> BopsPoints(const ResultView& v);

// The whole chart of one result.
RenderedSvg RenderResultChart(const ResultView& v);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_RESULT_CHART_H_
