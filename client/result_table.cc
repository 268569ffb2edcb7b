#include "client/result_table.h"

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bitsearch {
namespace {

std::string Int(std::optional<int64_t> v) { return v ? absl::StrCat(*v) : "-"; }
std::string Int(std::optional<int> v) { return v ? absl::StrCat(*v) : "-"; }

}  // namespace

std::string FormatResultTable(const ResultView& r) {
  std::string out;
  out += absl::StrFormat("%-22s %-6s %6s %6s %6s %6s %14s %12s %12s\n", "layer", "type", "w bits", "a bits",
                         "w srch", "a srch", "channels kept", "MACs", "latency");
  for (const LayerView& l : r.layers) {
    out += absl::StrFormat("%-22s %-6s %6s %6s %6s %6s %7s/%-6s %12s %12s\n", l.name, l.type, Int(l.weight_bits),
                           Int(l.act_bits), Int(l.searched_weight_bits), Int(l.searched_act_bits),
                           Int(l.channels_kept), Int(l.channels), Int(l.macs), FormatFigure(l.latency, "%.4g"));
  }
  out += absl::StrFormat("\naccuracy      fp32 %s%%  searched %s%%  final %s%%\n", FormatFigure(r.accuracy_fp32),
                         FormatFigure(r.accuracy_searched), FormatFigure(r.accuracy_final));
  out += absl::StrFormat("relative BOPs %s%% (searched %s%%)\n", FormatFigure(r.relative_bops_percent, "%.3f"),
                         FormatFigure(r.relative_bops_percent_searched, "%.3f"));
  out += absl::StrFormat("model size    %s bytes (fp32 %s bytes)\n", Int(r.size_final_bytes), Int(r.size_fp32_bytes));
  if (r.latency_final) {
    out += absl::StrFormat("latency       final %s  w8a8 %s  searched %s  fp32 %s %s (%s%% less than w8a8)\n",
                           FormatFigure(r.latency_final, "%.4g"), FormatFigure(r.latency_w8a8, "%.4g"), FormatFigure(r.latency_searched, "%.4g"),
                           FormatFigure(r.latency_fp32, "%.4g"), r.latency_unit, FormatFigure(r.reduction_vs_w8a8, "%.1f"));
  }
  for (const BaselineView& b : r.baselines) {
    out += absl::StrFormat("baseline %-5s top-1 %s%%  relative BOPs %s%%  latency %s\n", b.name, FormatFigure(b.accuracy),
                           FormatFigure(b.relative_bops_percent, "%.3f"), FormatFigure(b.latency, "%.4g"));
  }
  return out;
}

std::string FormatSweepTable(const SweepView& v) {
  std::string out = absl::StrFormat("%-28s %-24s %-10s %7s %9s %12s  %s\n", "point", "settings", "state", "top-1",
                                    "rel BOPs", "latency", "Pareto");
  auto cut = [](const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; };
  for (const SweepPointView& p : v.points) {
    std::string marks = !p.accuracy ? "" : !p.pareto ? "-" : absl::StrCat(p.pareto_latency ? "L" : "", p.pareto_bops ? "B" : "");
    out += absl::StrFormat("%-28s %-24s %-10s %7s %9s %12s  %s\n", cut(p.name, 28), cut(p.label, 24), p.state,
                           FormatFigure(p.accuracy), FormatFigure(p.relative_bops_percent, "%.3f"),
                           FormatFigure(p.latency, "%.4g"), marks);
    if (!p.error.empty()) out += absl::StrFormat("    error: %s\n", PrintableText(p.error, 300));
  }
  for (const auto* refs : {&v.baselines, &v.fp32}) {
    for (const SweepReferenceView& r : *refs) {
      out += absl::StrFormat("%-28s %-24s %-10s %7s %9s %12s  %s\n", cut(r.label, 28), "(reference)", "",
                             FormatFigure(r.accuracy), FormatFigure(r.relative_bops_percent, "%.3f"),
                             FormatFigure(r.latency, "%.4g"),
                             absl::StrCat(r.pareto_latency ? "L" : "", r.pareto_bops ? "B" : "",
                                          r.pareto_latency || r.pareto_bops ? "" : "-"));
    }
  }
  out += absl::StrFormat("Pareto: L = not beaten in top-1 and latency on its profile, B = in top-1 and relative "
                         "BOPs. Float model trained %d time%s for the sweep.\n",
                         v.pretrain_runs, v.pretrain_runs == 1 ? "" : "s");
  return out;
}

std::string FormatProblems(const ResultView& r, size_t max) {
  std::string out;
  for (size_t i = 0; i < r.problems.size() && i < max; ++i) {
    absl::StrAppend(&out, "warning: result field ", r.problems[i], "\n");
  }
  if (r.problems.size() > max) {
    absl::StrAppend(&out, "warning: ", r.problems.size() - max, " more fields could not be read\n");
  }
  return out;
}

}  // namespace bitsearch
