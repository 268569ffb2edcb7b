#include "search/report/html_report.h"

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bitsearch/version.h"
#include "search/report/pareto.h"
#include "search/report/result_chart.h"
#include "search/report/html_parts.h"
#include "search/report/svg_writer.h"

namespace bitsearch {
namespace {

using nlohmann::json;

constexpr char kStyle[] = R"(
body { font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 24px auto; max-width: 860px;
       color: #222; line-height: 1.45; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f6f8; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12px; }
.problems { background: #fff4e5; border: 1px solid #e0a040; padding: 8px 12px; }
dt { font-weight: bold; } dd { margin: 0 0 8px 16px; }
svg { max-width: 100%; height: auto; }
)";

using report_html::H;
using report_html::Row;

std::string Int(std::optional<int64_t> v) { return v ? absl::StrCat(*v) : "-"; }

std::string Bits(std::optional<int> v) {
  if (!v) return "-";
  return *v == 0 ? "pruned" : absl::StrCat(*v);
}

// A JSON value pretty-printed for <pre>, invalid UTF-8 replaced rather than thrown on.
std::string PrettyJson(const json& j) {
  return H(j.dump(2, ' ', false, json::error_handler_t::replace));
}

std::string Summary(const ResultView& v) {
  std::string unit = v.latency_unit.empty() ? "" : " " + H(v.latency_unit);
  std::string out = "<table id=\"summary\">\n";
  out += Row({"", "fp32", "searched", "final"}, true);
  out += Row({"top-1 accuracy (%)", FormatFigure(v.accuracy_fp32), FormatFigure(v.accuracy_searched), FormatFigure(v.accuracy_final)});
  out += Row({"relative BOPs (% of fp32)", "100", FormatFigure(v.relative_bops_percent_searched, "%.3f"),
              FormatFigure(v.relative_bops_percent, "%.3f")});
  if (v.latency_final || v.latency_fp32) {
    out += Row({absl::StrCat("latency on ", H(v.latency_profile), " (", H(v.latency_unit), ")"),
                FormatFigure(v.latency_fp32, "%.6g"), FormatFigure(v.latency_searched, "%.6g"), FormatFigure(v.latency_final, "%.6g")});
  }
  out += Row({"model size (bytes)", Int(v.size_fp32_bytes), "", Int(v.size_final_bytes)});
  out += "</table>\n";
  if (v.latency_w8a8) {
    absl::StrAppend(&out, "<p>All-8-bit (w8a8) latency: ", FormatFigure(v.latency_w8a8, "%.6g"), unit,
                    "; the final model's reduction against it: <b id=\"reduction\">",
                    FormatFigure(v.reduction_vs_w8a8, "%.1f"), "%</b>.</p>\n");
  }
  return out;
}

constexpr char kMeaning[] = R"(<dl>
<dt>searched</dt><dd>the bit widths the Bayesian Bits search chose (its gates read at test time),
evaluated on the test split right after the search, before refinement and fine-tuning.</dd>
<dt>final</dt><dd>the configuration after the refinement (which may change bit widths against
the latency table) and the fixed-bit fine-tune: the model to deploy.</dd>
<dt>relative BOPs</dt><dd>bit operations relative to the float model: the sum over layers of
activation bits x weight bits x kept-channel ratio x MACs, over the sum of MACs x 32 x 32, in
percent (the network input counted as 8-bit).</dd>
<dt>reduction vs w8a8</dt><dd>100 x (1 - final latency / latency of the same network with every
layer at 8 bits), in percent on the job's latency profile: positive means the final model is
faster than all-8-bit, negative slower.</dd>
</dl>
)";

std::string LayerTable(const ResultView& v) {
  std::string out = "<table id=\"layers-table\">\n";
  out += Row({"layer", "type", "w bits", "a bits", "searched w", "searched a", "channels kept", "MACs",
              "bytes", absl::StrCat("latency", v.latency_unit.empty() ? "" : " (" + H(v.latency_unit) + ")")},
             true);
  for (const LayerView& l : v.layers) {
    std::string kept = l.channels_kept && l.channels ? absl::StrCat(*l.channels_kept, " / ", *l.channels) : "-";
    out += Row({H(l.name), H(l.type), Bits(l.weight_bits), Bits(l.act_bits), Bits(l.searched_weight_bits),
                Bits(l.searched_act_bits), kept, Int(l.macs), Int(l.size_bytes), FormatFigure(l.latency, "%.6g")});
  }
  return out + "</table>\n";
}

// Every point of both trade-off plots with its Pareto mark: the figures behind the chart, also
// for labels a crowded plot had to leave out.
std::string TradeoffTable(const std::string& id, const std::string& cost_name, const std::vector<ChartPoint>& points) {
  std::vector<TradeoffPoint> tp;
  for (const ChartPoint& p : points) tp.push_back({p.accuracy, p.cost});
  std::vector<bool> optimal = ParetoOptimal(tp);
  std::string out = absl::StrCat("<table", Attr("id", id), ">\n");
  out += Row({"configuration", "top-1 (%)", H(cost_name), "Pareto-optimal"}, true);
  for (size_t i = 0; i < points.size(); ++i) {
    out += Row({H(points[i].label), absl::StrFormat("%.2f", points[i].accuracy),
                absl::StrFormat("%.6g", points[i].cost), optimal[i] ? "yes" : "no"});
  }
  return out + "</table>\n";
}

}  // namespace

const char* ReportStyle() { return kStyle; }

std::string HtmlDocument(const std::string& title, const std::string& body) {
  return absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
                      H(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n", body,
                      "</body>\n</html>\n");
}

std::string RenderHtmlReport(const ResultView& v, const ReportContext& c) {
  return HtmlDocument(absl::StrCat("bitsearch: ", v.name.empty() ? "job" : v.name), RenderReportBody(v, c));
}

namespace {

// compare_methods: one row per search method, all from the one pretrained model.
std::string MethodTable(const ResultView& v) {
  std::string out =
      "<h2>Search methods compared</h2>\n<p>Each method searched from the same pretrained model "
      "and went through the same refinement and fine-tune; the first is this job's own (its "
      "model is the one exported). Time: range initialisation to the end of the fine-tune.</p>\n"
      "<table id=\"methods\">\n";
  const std::string unit = v.latency_unit.empty() ? "" : absl::StrCat(" (", H(v.latency_unit), ")");
  out += Row({"method", "target", "searched top-1 (%)", "final top-1 (%)", "relative BOPs searched (%)",
              "relative BOPs final (%)", "latency searched" + unit, "latency final" + unit, "seconds",
              "final bits per layer (weights/activations)"},
             true);
  for (const MethodView& m : v.methods) {
    out += Row({H(m.method), m.target.empty() ? "-" : H(m.target), FormatFigure(m.accuracy_searched),
                FormatFigure(m.accuracy_final), FormatFigure(m.relative_bops_searched, "%.3f"),
                FormatFigure(m.relative_bops_final, "%.3f"), FormatFigure(m.latency_searched, "%.6g"),
                FormatFigure(m.latency_final, "%.6g"), FormatFigure(m.seconds, "%.0f"), H(m.bits)});
  }
  return out + "</table>\n";
}

}  // namespace

std::string RenderReportBody(const ResultView& v, const ReportContext& c) {
  const std::string name = v.name.empty() ? "job" : v.name;
  std::string out = absl::StrCat("<h1>bitsearch result: ", H(name), "</h1>\n");
  std::string sub = v.model;
  if (!v.method.empty()) sub += (sub.empty() ? "" : "; ") + v.method;
  if (!v.latency_profile.empty()) sub += (sub.empty() ? "" : "; ") + std::string("profile ") + v.latency_profile;
  absl::StrAppend(&out, "<p class=\"sub\">", H(sub), "</p>\n<p class=\"sub\">", H(c.source),
                  c.source.empty() ? "" : "; ", "report by bitsearch ", BITSEARCH_VERSION, "</p>\n");
  if (!v.problems.empty()) {
    out += "<div class=\"problems\"><b>Parts of this result could not be read</b> and are shown as -:<ul>\n";
    for (const std::string& p : v.problems) absl::StrAppend(&out, "<li>", H(p), "</li>\n");
    out += "</ul></div>\n";
  }
  out += "<h2>Headline figures</h2>\n" + Summary(v) + kMeaning;
  out += report_html::ChartSection(RenderResultChart(v).svg, c.json_file, "result JSON", c.svg_file);
  out += "<h2>Layers</h2>\n" + LayerTable(v);
  if (!v.baselines.empty()) {
    out += "<h2>Fixed-bit baselines</h2>\n<p>The same pipeline with every layer at fixed bit widths and the same "
           "fine-tune budget.</p>\n<table id=\"baselines\">\n";
    out += Row({"baseline", "top-1 (%)", "relative BOPs (%)", absl::StrCat("latency (", H(v.latency_unit), ")"), "bytes"}, true);
    for (const BaselineView& b : v.baselines) {
      out += Row({H(b.name), FormatFigure(b.accuracy), FormatFigure(b.relative_bops_percent, "%.3f"), FormatFigure(b.latency, "%.6g"),
                  Int(b.model_size_bytes)});
    }
    out += "</table>\n";
  }
  if (!v.methods.empty()) out += MethodTable(v);
  out += "<h2>Trade-off points</h2>\n";
  std::vector<ChartPoint> latency = LatencyPoints(v);
  if (!latency.empty()) {
    out += TradeoffTable("points-latency", absl::StrCat("latency (", v.latency_unit, ")"), latency);
  }
  out += TradeoffTable("points-bops", "relative BOPs (%)", BopsPoints(v));
  if (!v.refine_summary.empty()) absl::StrAppend(&out, "<h2>Refinement</h2>\n<p>", H(v.refine_summary), "</p>\n");
  if (!v.timings.empty()) {
    out += "<h2>Timings</h2>\n<table id=\"timings\">\n" + Row({"phase", "seconds"}, true);
    for (const auto& [phase, seconds] : v.timings) out += Row({H(phase), absl::StrFormat("%.1f", seconds)});
    out += "</table>\n";
  }
  out += "<h2>Preprocessing</h2>\n";
  if (!v.preprocessing.is_null()) {
    absl::StrAppend(&out, "<pre id=\"preprocessing\">", PrettyJson(v.preprocessing), "</pre>\n");
  } else if (v.spec.is_object() && v.spec.contains("dataset")) {
    absl::StrAppend(&out, "<p>The result records no preprocessing; the spec's data set:</p>\n<pre id=\"preprocessing\">",
                    PrettyJson(v.spec["dataset"]), "</pre>\n");
  } else {
    out += "<p>Not recorded in this result.</p>\n";
  }
  if (!c.export_files.empty() || !v.export_report.is_null()) {
    out += "<h2>Exported model</h2>\n";
    if (!c.export_dir.empty()) absl::StrAppend(&out, "<p>Written to <code>", H(c.export_dir), "</code>.</p>\n");
    if (!c.export_files.empty()) {
      out += "<table id=\"export-files\">\n" + Row({"file", "bytes"}, true);
      for (const ReportContext::File& f : c.export_files) {
        std::string name = c.export_link_prefix.empty()
                               ? H(f.name)
                               : absl::StrCat("<a", Attr("href", c.export_link_prefix + f.name), " download>",
                                              H(f.name), "</a>");
        out += Row({name, absl::StrCat(f.bytes)});
      }
      out += "</table>\n";
    }
    if (!v.export_report.is_null()) absl::StrAppend(&out, "<pre id=\"export-check\">", PrettyJson(v.export_report), "</pre>\n");
  }
  if (!v.spec.is_null()) absl::StrAppend(&out, "<h2>Spec as run</h2>\n<pre id=\"spec\">", PrettyJson(v.spec), "</pre>\n");
  return out;
}

}  // namespace bitsearch
