#include "search/report/sweep_report.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bitsearch/version.h"
#include "search/report/html_report.h"
#include "search/report/html_parts.h"
#include "search/report/svg_writer.h"

namespace bitsearch {
namespace {

using nlohmann::json;

constexpr double kWidth = 800;
constexpr double kMargin = 16;
constexpr double kPlotHeight = 360;

using report_html::H;
using report_html::Row;

// The points, baselines and float models with a figure on one axis: `profile` "" = relative
// BOPs (every profile), else latency on that profile.
std::vector<ChartPoint> ChartPoints(const SweepView& v, const std::string& profile) {
  std::vector<ChartPoint> out;
  const bool bops = profile.empty();
  for (const SweepPointView& p : v.points) {
    std::optional<double> cost = bops ? p.relative_bops_percent : p.latency;
    if (p.accuracy && cost && (bops || p.profile == profile)) out.push_back({p.label, "point", *p.accuracy, *cost});
  }
  for (auto [refs, kind] : {std::pair<const std::vector<SweepReferenceView>*, const char*>{&v.baselines, "baseline"},
                            {&v.fp32, "fp32"}}) {
    for (const SweepReferenceView& r : *refs) {
      std::optional<double> cost = bops ? r.relative_bops_percent : r.latency;
      if (!r.accuracy || !cost || (!bops && r.profile != profile)) continue;
      // On the BOPs plot the references of several profiles coincide: draw them once.
      bool duplicate = false;
      for (const ChartPoint& c : out) {
        duplicate = duplicate || (c.kind == kind && c.accuracy == *r.accuracy && c.cost == *cost);
      }
      if (!duplicate) out.push_back({r.label, kind, *r.accuracy, *cost});
    }
  }
  return out;
}

std::string UnitOf(const SweepView& v, const std::string& profile) {
  for (const SweepPointView& p : v.points) {
    if (p.profile == profile && !p.latency_unit.empty()) return p.latency_unit;
  }
  return "";
}

std::string Mark(bool on) { return on ? "yes" : "no"; }

std::string PointsTable(const SweepView& v, const SweepReportContext& c) {
  std::string out = "<table id=\"sweep-points\">\n";
  out += Row({"point", "settings", "state", "top-1 (%)", "relative BOPs (%)", "latency", "profile",
              "Pareto (latency)", "Pareto (BOPs)"},
             true);
  for (const SweepPointView& p : v.points) {
    auto link = c.point_links.find(p.name);
    std::string name = link == c.point_links.end()
                           ? H(p.name)
                           : absl::StrCat("<a", Attr("href", link->second), ">", H(p.name), "</a>");
    std::string state = H(p.state) + (p.error.empty() ? "" : absl::StrCat(": ", H(p.error)));
    std::string latency = p.latency ? absl::StrCat(FormatFigure(p.latency, "%.6g"), " ", H(p.latency_unit)) : "-";
    out += absl::StrCat("<tr", Attr("class", p.pareto ? "pareto" : ""), Attr("data-point", p.name), "><td>", name,
                        "</td><td>", H(p.label), "</td><td>", state, "</td><td>", FormatFigure(p.accuracy),
                        "</td><td>", FormatFigure(p.relative_bops_percent, "%.3f"), "</td><td>", latency,
                        "</td><td>", H(p.profile), "</td><td>", p.accuracy ? Mark(p.pareto_latency) : "-",
                        "</td><td>", p.accuracy ? Mark(p.pareto_bops) : "-", "</td></tr>\n");
  }
  return out + "</table>\n";
}

std::string ReferenceTable(const std::string& id, const std::vector<SweepReferenceView>& refs) {
  std::string out = absl::StrCat("<table", Attr("id", id), ">\n");
  out += Row({"configuration", "from point", "top-1 (%)", "relative BOPs (%)", "latency", "profile",
              "Pareto (latency)", "Pareto (BOPs)"},
             true);
  for (const SweepReferenceView& r : refs) {
    out += Row({H(r.label), H(r.from), FormatFigure(r.accuracy), FormatFigure(r.relative_bops_percent, "%.3f"),
                r.latency ? absl::StrCat(FormatFigure(r.latency, "%.6g"), " ", H(r.latency_unit)) : "-",
                H(r.profile), Mark(r.pareto_latency), Mark(r.pareto_bops)});
  }
  return out + "</table>\n";
}

}  // namespace

RenderedSvg RenderSweepChart(const SweepView& v) {
  const double height = 60 + (v.profiles.size() + 1) * kPlotHeight;
  SvgWriter svg(kWidth, height);
  const double text_width = kWidth - 2 * kMargin;
  svg.Text(kMargin, 26, FitText(absl::StrCat("bitsearch sweep: ", v.name.empty() ? "sweep" : v.name), 16 * 1.1, text_width),
           Style(16).Bold());
  std::string axes;
  if (v.axes.is_object()) {
    for (const auto& [field, values] : v.axes.items()) {
      absl::StrAppend(&axes, axes.empty() ? "" : "; ", field, " = ",
                      values.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  svg.Text(kMargin, 44, FitText(absl::StrCat(v.points.size(), " points", axes.empty() ? "" : ": ", axes), 11, text_width),
           Style(11).Fill("#444"));
  RenderedSvg out;
  double y = 60;
  for (size_t i = 0; i < v.profiles.size(); ++i) {
    const std::string& profile = v.profiles[i];
    std::string unit = UnitOf(v, profile);
    out.labels_left_out += DrawTradeoff(
        svg, {kMargin, y, kWidth - kMargin, y + kPlotHeight - 16}, absl::StrCat("sweep-latency-", i),
        absl::StrCat("Top-1 accuracy vs latency on ", profile),
        absl::StrCat("latency (", unit.empty() ? "" : unit + ", ", "log scale)"), ChartPoints(v, profile));
    y += kPlotHeight;
  }
  out.labels_left_out += DrawTradeoff(svg, {kMargin, y, kWidth - kMargin, y + kPlotHeight - 16}, "sweep-bops",
                                      "Top-1 accuracy vs relative BOPs",
                                      "relative BOPs (% of the float model's, log scale)", ChartPoints(v, ""));
  out.svg = svg.Finish();
  out.text_boxes = svg.text_boxes();
  return out;
}

std::string RenderSweepBody(const SweepView& v, const SweepReportContext& c) {
  const std::string name = v.name.empty() ? "sweep" : v.name;
  std::string out = absl::StrCat("<h1>bitsearch sweep: ", H(name), "</h1>\n<p class=\"sub\">", H(c.source),
                                 c.source.empty() ? "" : "; ", "report by bitsearch ", BITSEARCH_VERSION, "</p>\n");
  if (!v.problems.empty()) {
    out += "<div class=\"problems\"><b>Parts of this result could not be read</b> and are shown as -:<ul>\n";
    for (const std::string& p : v.problems) absl::StrAppend(&out, "<li>", H(p), "</li>\n");
    out += "</ul></div>\n";
  }
  int succeeded = 0;
  for (const SweepPointView& p : v.points) succeeded += p.state == "SUCCEEDED";
  absl::StrAppend(&out, "<p id=\"sweep-summary\">State <b>", H(v.state.empty() ? "-" : v.state), "</b>: ", succeeded,
                  " of ", v.points.size(), " points succeeded; the float model was trained ",
                  v.pretrain_runs, v.pretrain_runs == 1 ? " time" : " times", " for the whole sweep.</p>\n");
  if (v.axes.is_object() && !v.axes.empty()) {
    out += "<table id=\"sweep-axes\">\n" + Row({"swept field", "values"}, true);
    for (const auto& [field, values] : v.axes.items()) {
      out += Row({H(field), H(values.dump(-1, ' ', false, json::error_handler_t::replace))});
    }
    out += "</table>\n";
  }
  out += "<p>A point is Pareto-optimal when no other configuration (point, fixed-bit baseline or float model) "
         "is at least as accurate and at most as costly while better in one of the two: in latency on its "
         "own profile, and in relative BOPs. The chart rings those points and draws the front through them.</p>\n";
  out += report_html::ChartSection(RenderSweepChart(v).svg, c.json_file, "sweep result JSON", c.svg_file);
  out += "<h2>Points</h2>\n" + PointsTable(v, c);
  if (!v.baselines.empty()) {
    out += "<h2>Fixed-bit baselines</h2>\n<p>Run by the points' jobs (the same pipeline with fixed bit widths and "
           "the same fine-tune budget).</p>\n" + ReferenceTable("sweep-baselines", v.baselines);
  }
  if (!v.fp32.empty()) out += "<h2>Float models</h2>\n" + ReferenceTable("sweep-fp32", v.fp32);
  return out;
}

std::string RenderSweepHtml(const SweepView& v, const SweepReportContext& c) {
  return HtmlDocument(absl::StrCat("bitsearch sweep: ", v.name.empty() ? "sweep" : v.name), RenderSweepBody(v, c));
}

}  // namespace bitsearch
