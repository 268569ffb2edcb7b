#include "search/report/result_chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "search/report/label_layout.h"
#include "search/report/pareto.h"

namespace bitsearch {
namespace {

constexpr double kWidth = 800;
constexpr double kMargin = 16;
constexpr double kRow = 18;            // one layer per row
constexpr double kTradeoffHeight = 340;

const char* KindColour(const std::string& kind) {
  if (kind == "final") return "#c0392b";
  if (kind == "searched") return "#8e44ad";
  if (kind == "fp32") return "#2c3e50";
  if (kind == "baseline") return "#2471a3";
  if (kind == "method") return "#d68910";
  return "#138d75";
}

// ---- per-layer small multiples ---------------------------------------------------------------

struct Column {
  double x, w;
};

// Bits on a log2 axis: 2 -> 1/5 of the column ... 32 -> all of it (0 = pruned draws nothing).
double BitsFraction(int bits) { return bits <= 0 ? 0 : std::min(1.0, std::log2(bits) / 5.0); }

// A bar from the column's left edge with `text` inside when it fits, else right after the bar.
void BarWithText(SvgWriter& svg, const Column& c, double y, double fraction, const char* colour,
                 const std::string& text) {
  double w = std::clamp(fraction, 0.0, 1.0) * c.w;
  svg.Rect(c.x, y + 3, w, kRow - 6, absl::StrCat("fill=\"", colour, "\""));
  TextStyle style = Style(10);
  double tw = TextWidth(text, style.size);
  if (tw + 6 <= w) {
    style.fill = "white";
    svg.Text(c.x + 3, y + kRow - 5, text, style);
  } else {
    svg.Text(c.x + w + 3, y + kRow - 5, FitText(text, style.size, c.w - w - 3), style);
  }
}

double DrawLayers(SvgWriter& svg, const ResultView& v, double y) {
  const Column name{kMargin, 160}, weight{190, 150}, act{356, 150}, kept{522, 130}, lat{668, 116};
  svg.Raw("<g id=\"layers\">\n");
  svg.Text(kMargin, y + 14, "Per layer", Style(13).Bold());
  y += 22;
  svg.Text(kMargin, y + 11,
           "bars: final bits (after refinement); black mark: bits the search chose; 0 bits = pruned",
           Style(10).Fill("#555"));
  y += 20;
  std::string lat_title = v.latency_unit.empty() ? "latency" : absl::StrCat("latency (", v.latency_unit, ")");
  TextStyle head = Style(11).Bold();
  svg.Text(name.x, y + 12, "layer", head);
  svg.Text(weight.x, y + 12, FitText("weight bits", 11 * 1.1, weight.w), head);
  svg.Text(act.x, y + 12, FitText("activation bits", 11 * 1.1, act.w), head);
  svg.Text(kept.x, y + 12, FitText("channels kept", 11 * 1.1, kept.w), head);
  svg.Text(lat.x, y + 12, FitText(lat_title, 11 * 1.1, lat.w), head);
  y += 16;
  // Tick labels of the bit axes, and of the latency axis (0 and its largest value).
  double max_lat = 0;
  for (const LayerView& l : v.layers) max_lat = std::max(max_lat, l.latency.value_or(0));
  for (const Column& c : {weight, act}) {
    for (int b : {2, 4, 8, 16, 32}) {
      svg.Text(c.x + BitsFraction(b) * c.w, y + 10, std::to_string(b), Style(9).Anchor("middle").Fill("#555"));
    }
  }
  svg.Text(kept.x, y + 10, "0%", Style(9).Fill("#555"));
  svg.Text(kept.x + kept.w, y + 10, "100%", Style(9).Anchor("end").Fill("#555"));
  if (max_lat > 0) {
    svg.Text(lat.x, y + 10, "0", Style(9).Fill("#555"));
    svg.Text(lat.x + lat.w, y + 10, FormatTick(max_lat), Style(9).Anchor("end").Fill("#555"));
  }
  y += 14;
  const double rows_top = y;
  for (size_t i = 0; i < v.layers.size(); ++i) {
    const LayerView& l = v.layers[i];
    double ry = rows_top + i * kRow;
    if (i % 2 == 0) svg.Rect(kMargin, ry, kWidth - 2 * kMargin, kRow, "fill=\"#f4f6f8\"");
    std::string shown = FitText(l.name.empty() ? "?" : l.name, 11, name.w - 4);
    svg.Text(name.x, ry + kRow - 5, shown, Style(11).Title(shown != l.name ? l.name : ""));
    for (auto [c, bits, searched, colour] :
         {std::tuple<Column, std::optional<int>, std::optional<int>, const char*>{
              weight, l.weight_bits, l.searched_weight_bits, "#3b6fb6"},
          {act, l.act_bits, l.searched_act_bits, "#e08a2c"}}) {
      if (!bits) {
        svg.Text(c.x + 3, ry + kRow - 5, "-", Style(10).Fill("#777"));
      } else if (*bits == 0) {
        svg.Text(c.x + 3, ry + kRow - 5, "pruned", Style(10).Fill("#777"));
      } else {
        BarWithText(svg, c, ry, BitsFraction(*bits), colour, std::to_string(*bits));
      }
      if (searched) {
        double sx = c.x + BitsFraction(*searched) * c.w;
        svg.Line(sx, ry + 1, sx, ry + kRow - 1, "stroke=\"black\" stroke-width=\"2\"");
      }
    }
    if (l.channels && l.channels_kept && *l.channels > 0) {
      BarWithText(svg, kept, ry, static_cast<double>(*l.channels_kept) / *l.channels,
                  *l.channels_kept < *l.channels ? "#a04000" : "#7f8c8d",
                  absl::StrCat(*l.channels_kept, "/", *l.channels));
    } else {
      svg.Text(kept.x + 3, ry + kRow - 5, "-", Style(10).Fill("#777"));
    }
    if (l.latency && max_lat > 0) {
      BarWithText(svg, lat, ry, *l.latency / max_lat, "#5a9e6f", FormatTick(*l.latency));
    } else if (i == 0 && max_lat <= 0) {
      svg.Text(lat.x + 3, ry + kRow - 5, FitText("no latency model", 10, lat.w - 3), Style(10).Fill("#777"));
    }
  }
  for (const Column& c : {weight, act}) {  // grid lines at the bit ticks
    for (int b : {2, 4, 8, 16, 32}) {
      double x = c.x + BitsFraction(b) * c.w;
      svg.Line(x, rows_top, x, rows_top + v.layers.size() * kRow, "stroke=\"#ccc\" stroke-dasharray=\"2,2\"");
    }
  }
  svg.Raw("</g>\n");
  return rows_top + v.layers.size() * kRow + 16;
}

bool Plottable(const ChartPoint& p) {
  return std::isfinite(p.accuracy) && std::isfinite(p.cost) && p.cost > 0 && p.accuracy >= 0;
}

}  // namespace

int DrawTradeoff(SvgWriter& svg, const Box& area, const std::string& id, const std::string& title,
                 const std::string& x_title, const std::vector<ChartPoint>& all_points) {
  std::vector<ChartPoint> points;
  for (const ChartPoint& p : all_points) {
    if (Plottable(p)) points.push_back(p);
  }
  svg.Raw(absl::StrCat("<g", Attr("id", id), ">\n"));
  const double width = area.x1 - area.x0;
  svg.Text(area.x0, area.y0 + 14, FitText(title, 13 * 1.1, width), Style(13).Bold());
  // Legend: the kinds present, then the front.
  double lx = area.x0, ly = area.y0 + 32;
  std::vector<std::string> kinds;
  for (const ChartPoint& p : points) {
    if (std::find(kinds.begin(), kinds.end(), p.kind) == kinds.end()) kinds.push_back(p.kind);
  }
  for (const std::string& kind : kinds) {
    std::string name = kind == "baseline" ? "fixed-bit baselines"
                       : kind == "point"  ? "points"
                       : kind == "method" ? "other search methods"
                                          : kind;
    svg.Circle(lx + 5, ly - 4, 4, absl::StrCat("fill=\"", KindColour(kind), "\""));
    Box b = svg.Text(lx + 13, ly, name, Style(10));
    lx = b.x1 + 14;
  }
  std::vector<TradeoffPoint> tp;
  for (const ChartPoint& p : points) tp.push_back({p.accuracy, p.cost});
  const std::vector<size_t> front = ParetoFrontByCost(tp);
  if (front.size() > 1) {  // the legend names the front's line only where one is drawn
    svg.Line(lx, ly - 4, lx + 22, ly - 4, "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"");
    svg.Text(lx + 27, ly, "Pareto front (ringed points: none is beaten on both axes)", Style(10));
  }
  // The plot: y tick labels and title on the left, x tick labels and title below.
  const Box plot{area.x0 + 62, area.y0 + 44, area.x1 - 8, area.y1 - 40};
  svg.Rect(plot.x0, plot.y0, plot.x1 - plot.x0, plot.y1 - plot.y0, "fill=\"#fafafa\" stroke=\"#bbb\"");
  svg.Text(area.x0 + 12, (plot.y0 + plot.y1) / 2, "top-1 accuracy (%)",
           Style(11).Anchor("middle").Vertical());
  svg.Text((plot.x0 + plot.x1) / 2, area.y1 - 6, FitText(x_title, 11, width), Style(11).Anchor("middle"));
  if (points.empty()) {
    svg.Text((plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2, "no figures to plot in this result",
             Style(11).Anchor("middle").Fill("#777"));
    svg.Raw("</g>\n");
    return 0;
  }
  double cmin = points[0].cost, cmax = cmin, amin = points[0].accuracy, amax = amin;
  for (const ChartPoint& p : points) {
    cmin = std::min(cmin, p.cost);
    cmax = std::max(cmax, p.cost);
    amin = std::min(amin, p.accuracy);
    amax = std::max(amax, p.accuracy);
  }
  // Room around the points for their labels: a factor on the log axis, points on the other.
  double pad = std::max(0.5, 0.12 * (amax - amin));
  Scale x = Scale::Log(cmin / (cmax > cmin ? 1.6 : 3), cmax * (cmax > cmin ? 1.6 : 3), plot.x0, plot.x1);
  Scale y = Scale::Linear(std::max(0.0, amin - pad), std::min(100.0, amax + pad), plot.y1, plot.y0);
  if (!(y.d1() > y.d0())) y = Scale::Linear(y.d0() - 1, y.d0() + 1, plot.y1, plot.y0);
  for (double t : x.Ticks()) {
    svg.Line(x(t), plot.y0, x(t), plot.y1, "stroke=\"#e3e3e3\"");
    svg.Text(x(t), plot.y1 + 14, FormatTick(t), Style(10).Anchor("middle"));
  }
  for (double t : y.Ticks(5)) {
    svg.Line(plot.x0, y(t), plot.x1, y(t), "stroke=\"#e3e3e3\"");
    svg.Text(plot.x0 - 5, y(t) + 4, absl::StrFormat("%g", t), Style(10).Anchor("end"));
  }
  // The front first, so that the points sit on top of its line; black rings mark its points.
  std::vector<bool> optimal = ParetoOptimal(tp);
  std::vector<std::pair<double, double>> line;
  for (size_t i : front) line.emplace_back(x(points[i].cost), y(points[i].accuracy));
  if (line.size() > 1) svg.Polyline(line, "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"");
  std::vector<Box> markers;
  std::vector<LabelRequest> requests;
  std::vector<std::string> texts;
  for (size_t i = 0; i < points.size(); ++i) {
    const ChartPoint& p = points[i];
    double px = x(p.cost), py = y(p.accuracy), r = p.kind == "final" ? 6 : 5;
    svg.Circle(px, py, r,
               absl::StrCat("fill=\"", KindColour(p.kind), "\"", optimal[i] ? " stroke=\"black\" stroke-width=\"1.5\"" : "",
                            Attr("class", "point " + p.kind), Attr("data-label", p.label),
                            Attr("data-accuracy", absl::StrFormat("%.4f", p.accuracy)),
                            Attr("data-cost", absl::StrFormat("%.6g", p.cost)),
                            Attr("data-pareto", optimal[i] ? "true" : "false")));
    markers.push_back({px - r - 1, py - r - 1, px + r + 1, py + r + 1});
    texts.push_back(absl::StrFormat("%s %.2f%%", FitText(p.label, 10, 150), p.accuracy));
    Box tb = SvgWriter::TextBox(0, 0, texts.back(), Style(10));
    requests.push_back({px, py, tb.x1 - tb.x0, tb.y1 - tb.y0});
  }
  std::vector<LabelPlacement> placed = PlaceLabels(requests, markers, plot);
  int left_out = 0;
  for (size_t i = 0; i < placed.size(); ++i) {
    if (!placed[i].placed) {
      ++left_out;
      continue;
    }
    const Box& b = placed[i].box;
    if (placed[i].needs_leader) {
      double cx = std::clamp(requests[i].anchor_x, b.x0, b.x1), cy = std::clamp(requests[i].anchor_y, b.y0, b.y1);
      svg.Line(requests[i].anchor_x, requests[i].anchor_y, cx, cy, "stroke=\"#999\"");
    }
    // The text's baseline sits the font's ascent below the box top (SvgWriter::TextBox).
    svg.Text(b.x0, b.y0 + 0.93 * 10, texts[i], Style(10).Class("label"));
  }
  svg.Raw("</g>\n");
  return left_out;
}

namespace {

// A result's configurations on one plot: each with its accuracy and the cost this plot shows.
std::vector<ChartPoint> PointsOf(const ResultView& v, std::optional<double> final_cost,
                                 std::optional<double> searched_cost, std::optional<double> fp32_cost,
                                 std::optional<double> BaselineView::*baseline_cost,
                                 std::optional<double> MethodView::*method_cost) {
  std::vector<ChartPoint> out;
  auto add = [&](const std::string& label, const char* kind, std::optional<double> acc, std::optional<double> cost) {
    if (acc && cost) out.push_back({label, kind, *acc, *cost});
  };
  add(v.methods.empty() ? "final" : "final: " + v.methods[0].method, "final", v.accuracy_final,
      final_cost);
  add("searched", "searched", v.accuracy_searched, searched_cost);
  add("fp32", "fp32", v.accuracy_fp32, fp32_cost);
  for (const BaselineView& b : v.baselines) add(b.name, "baseline", b.accuracy, b.*baseline_cost);
  // compare_methods: the job's own method is "final" already; the others as their final models.
  for (size_t i = 1; i < v.methods.size(); ++i) {
    add(v.methods[i].method, "method", v.methods[i].accuracy_final, v.methods[i].*method_cost);
  }
  return out;
}

}  // namespace

std::vector<ChartPoint> LatencyPoints(const ResultView& v) {
  return PointsOf(v, v.latency_final, v.latency_searched, v.latency_fp32, &BaselineView::latency,
                  &MethodView::latency_final);
}

std::vector<ChartPoint> BopsPoints(const ResultView& v) {
  return PointsOf(v, v.relative_bops_percent, v.relative_bops_percent_searched, 100.0,
                  &BaselineView::relative_bops_percent, &MethodView::relative_bops_final);
}

RenderedSvg RenderResultChart(const ResultView& v) {
  std::vector<ChartPoint> latency = LatencyPoints(v);
  const bool with_latency = !latency.empty();
  const double layers_height = 22 + 20 + 16 + 14 + v.layers.size() * kRow + 16;
  const double height = 60 + layers_height + (with_latency ? 2 : 1) * kTradeoffHeight;
  SvgWriter svg(kWidth, height);
  const double text_width = kWidth - 2 * kMargin;
  svg.Text(kMargin, 26, FitText(absl::StrCat("bitsearch result: ", v.name.empty() ? "job" : v.name), 16 * 1.1, text_width),
           Style(16).Bold());
  std::string subtitle = v.model;
  if (!v.method.empty()) subtitle += (subtitle.empty() ? "" : "; ") + v.method;
  if (!v.latency_profile.empty()) subtitle += (subtitle.empty() ? "" : "; profile ") + v.latency_profile;
  svg.Text(kMargin, 44, FitText(subtitle, 11, text_width), Style(11).Fill("#444"));
  double y = DrawLayers(svg, v, 56);
  RenderedSvg out;
  if (with_latency) {
    std::string unit = v.latency_unit.empty() ? "" : v.latency_unit + ", ";
    out.labels_left_out += DrawTradeoff(
        svg, {kMargin, y, kWidth - kMargin, y + kTradeoffHeight - 16}, "tradeoff-latency",
        absl::StrCat("Top-1 accuracy vs latency on ", v.latency_profile.empty() ? "the profile" : v.latency_profile),
        absl::StrCat("latency (", unit, "log scale)"), latency);
    y += kTradeoffHeight;
  }
  out.labels_left_out += DrawTradeoff(svg, {kMargin, y, kWidth - kMargin, y + kTradeoffHeight - 16},
                                      "tradeoff-bops", "Top-1 accuracy vs relative BOPs",
                                      "relative BOPs (% of the float model's, log scale)", BopsPoints(v));
  out.svg = svg.Finish();
  out.text_boxes = svg.text_boxes();
  return out;
}

}  // namespace bitsearch
