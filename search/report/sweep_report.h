// What a person reads about a sweep: the chart (top-1 accuracy against latency, one plot per
// latency profile, and against relative BOPs, both on log axes, with every point, the baselines
// and float models of its jobs, and the Pareto front as a line), and the self-contained HTML
// report (the chart inline, the points with their settings, states and Pareto marks, the
// baselines, how often the float model was trained). `run` of a sweep and `result SWEEP --out`
// write both beside the sweep's result JSON; the server's sweep page shows the same body.
//
// Torch-free. Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_REPORT_SWEEP_REPORT_H_
#define BITSEARCH_SEARCH_REPORT_SWEEP_REPORT_H_

#include <map>
#include <string>

#include "search/report/result_chart.h"
#include "search/report/sweep_result.h"

namespace bitsearch {

struct SweepReportContext {
  std::string source;     // "bitsearch run SPEC" or "sweep ID on HOST:PORT"
  std::string json_file;  // the sweep result beside the report (a relative link), "" = none
  std::string svg_file;   // the chart beside the report, "" = none
  std::map<std::string, std::string> point_links;  // point name -> its own report or page
};

RenderedSvg RenderSweepChart(const SweepView& v);
// The report without its document around it (for the server's sweep page).
std::string RenderSweepBody(const SweepView& v, const SweepReportContext& context);
std::string RenderSweepHtml(const SweepView& v, const SweepReportContext& context);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_REPORT_SWEEP_REPORT_H_
