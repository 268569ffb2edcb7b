#include "client/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bitsearch {
namespace {

using nlohmann::json;

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string Text(double x, double y, const std::string& s, const char* anchor = "start", int size = 11,
                 double rotate = 0) {
  std::string transform = rotate != 0 ? absl::StrFormat(" transform=\"rotate(%.0f %.1f %.1f)\"", rotate, x, y) : "";
  return absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\"%s>%s</text>\n", x, y,
                         size, anchor, transform, Escape(s));
}

std::string Rect(double x, double y, double w, double h, const char* fill) {
  return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y, w,
                         std::max(0.0, h), fill);
}

// Bits on a log2 axis: 2 -> 1 ... 32 -> 5 (0 bits draws nothing).
double BitHeight(int bits) { return bits <= 0 ? 0 : std::log2(static_cast<double>(bits)); }

}  // namespace

std::string ResultSvg(const json& r) {
  const json layers = r.value("layers", json::array());
  const size_t n = layers.size();
  const double left = 60, panel_w = std::max(420.0, 70.0 * n), top = 40, panel_h = 180;
  const double width = left + panel_w + 40;
  const double height = top + 3 * (panel_h + 70) + 20;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      width, height);
  svg += Text(left, 22, absl::StrCat("bitsearch result: ", r.value("name", "job")), "start", 15);

  // Panel 1: bits per layer.
  double y0 = top + 20;
  svg += Text(left, y0 - 6, "bits per layer (bars: final weight / activation; ticks: searched)", "start", 12);
  svg += Rect(left, y0, panel_w, panel_h, "#f6f6f6");
  const double slot = panel_w / std::max<size_t>(1, n);
  for (int b : {2, 4, 8, 16, 32}) {
    double y = y0 + panel_h - BitHeight(b) / 5.0 * panel_h;
    svg += absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y,
                           left + panel_w, y);
    svg += Text(left - 6, y + 4, std::to_string(b), "end");
  }
  for (size_t i = 0; i < n; ++i) {
    const json& l = layers[i];
    double x = left + i * slot + slot * 0.15, bw = slot * 0.33;
    double hw = BitHeight(l.value("weight_bits", 0)) / 5.0 * panel_h;
    double ha = BitHeight(l.value("act_bits", 0)) / 5.0 * panel_h;
    svg += Rect(x, y0 + panel_h - hw, bw, hw, "#3b6fb6");
    svg += Rect(x + bw, y0 + panel_h - ha, bw, ha, "#e08a2c");
    for (auto [key, off] : {std::pair<const char*, double>{"searched_weight_bits", 0.0}, {"searched_act_bits", bw}}) {
      double hs = BitHeight(l.value(key, 0)) / 5.0 * panel_h;
      svg += absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-width=\"2\"/>\n",
                             x + off, y0 + panel_h - hs, x + off + bw, y0 + panel_h - hs);
    }
    svg += Text(x + bw, y0 + panel_h + 14, l.value("name", ""), "middle", 10);
  }
  svg += Rect(left + panel_w - 150, y0 + 6, 10, 10, "#3b6fb6") + Text(left + panel_w - 136, y0 + 15, "weights", "start", 10);
  svg += Rect(left + panel_w - 80, y0 + 6, 10, 10, "#e08a2c") + Text(left + panel_w - 66, y0 + 15, "activations", "start", 10);

  // Panel 2: latency per layer.
  y0 += panel_h + 70;
  const json lat = r.value("latency", json::object());
  std::string unit = lat.value("unit", json()).is_string() ? lat["unit"].get<std::string>() : "";
  svg += Text(left, y0 - 6, absl::StrCat("latency per layer (final)", unit.empty() ? "" : " in " + unit), "start", 12);
  svg += Rect(left, y0, panel_w, panel_h, "#f6f6f6");
  double max_lat = 0;
  for (const json& l : layers) {
    if (l.value("latency", json()).is_number()) max_lat = std::max(max_lat, l["latency"].get<double>());
  }
  if (max_lat <= 0) {
    svg += Text(left + panel_w / 2, y0 + panel_h / 2, "no latency model for this job", "middle");
  } else {
    for (size_t i = 0; i < n; ++i) {
      if (!layers[i].value("latency", json()).is_number()) continue;
      double h = layers[i]["latency"].get<double>() / max_lat * (panel_h - 14);
      double x = left + i * slot + slot * 0.2;
      svg += Rect(x, y0 + panel_h - h, slot * 0.6, h, "#5a9e6f");
      svg += Text(x + slot * 0.3, y0 + panel_h - h - 3, absl::StrFormat("%.3g", layers[i]["latency"].get<double>()), "middle", 9);
      svg += Text(x + slot * 0.3, y0 + panel_h + 14, layers[i].value("name", ""), "middle", 10);
    }
  }

  // Panel 3: accuracy against latency (or relative BOPs).
  y0 += panel_h + 70;
  struct Point {
    std::string label;
    double x, y;
  };
  std::vector<Point> pts;
  const bool use_latency = lat.value("final", json()).is_number();
  const json acc = r.value("accuracy", json::object());
  auto add = [&](const std::string& label, const json& x, const json& y) {
    if (x.is_number() && y.is_number()) pts.push_back({label, x.get<double>(), y.get<double>()});
  };
  if (use_latency) {
    add("final", lat["final"], acc.value("final", json()));
    add("searched", lat.value("searched", json()), acc.value("searched", json()));
    add("fp32", lat.value("fp32", json()), acc.value("fp32", json()));
  } else {
    add("final", r.value("relative_bops_percent", json()), acc.value("final", json()));
    add("searched", r.value("relative_bops_percent_searched", json()), acc.value("searched", json()));
  }
  for (const json& b : r.value("baselines", json::array())) {
    add(b.value("name", ""), use_latency ? b.value("latency", json()) : b.value("relative_bops_percent", json()),
        b.value("accuracy", json()));
  }
  svg += Text(left, y0 - 6, use_latency ? "top-1 accuracy vs latency" : "top-1 accuracy vs relative BOPs (%)", "start", 12);
  svg += Rect(left, y0, panel_w, panel_h, "#f6f6f6");
  if (!pts.empty()) {
    double xmin = 0, xmax = 0, ymin = 100, ymax = 0;
    for (const Point& p : pts) {
      xmax = std::max(xmax, p.x);
      ymin = std::min(ymin, p.y);
      ymax = std::max(ymax, p.y);
    }
    xmax = xmax > 0 ? xmax * 1.1 : 1;
    ymin = std::max(0.0, ymin - 2);
    ymax = std::min(100.0, ymax + 1);
    if (ymax <= ymin) ymax = ymin + 1;
    for (const Point& p : pts) {
      double px = left + (p.x - xmin) / (xmax - xmin) * panel_w;
      double py = y0 + panel_h - (p.y - ymin) / (ymax - ymin) * panel_h;
      const char* color = p.label == "final" ? "#c0392b" : (p.label == "searched" ? "#8e44ad" : "#34495e");
      svg += absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", px, py, color);
      svg += Text(px + 7, py - 6, absl::StrFormat("%s (%.2f%%)", p.label, p.y), "start", 10);
    }
    svg += Text(left, y0 + panel_h + 14, absl::StrFormat("%.3g", xmin), "start", 10);
    svg += Text(left + panel_w, y0 + panel_h + 14, absl::StrFormat("%.3g", xmax), "end", 10);
    svg += Text(left - 6, y0 + 10, absl::StrFormat("%.1f", ymax), "end", 10);
    svg += Text(left - 6, y0 + panel_h, absl::StrFormat("%.1f", ymin), "end", 10);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace bitsearch
