#include "client/progress_text.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "search/report/result_view.h"

namespace bitsearch {

int ProgressPercent(int64_t step, int64_t total) {
  if (total <= 0) return 0;
  double f = std::clamp(static_cast<double>(step) / static_cast<double>(total), 0.0, 1.0);
  return static_cast<int>(f * 100);
}

std::string ProgressBar(int64_t step, int64_t total, int width) {
  width = std::max(width, 0);
  int filled = 0;
  if (total > 0) {
    double f = std::clamp(static_cast<double>(step) / static_cast<double>(total), 0.0, 1.0);
    filled = std::clamp(static_cast<int>(f * width), 0, width);
  }
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
}

std::string ProgressLine(const Progress& p) {
  // Phases without epochs (AdaRound's layers x iterations) show steps alone.
  std::string line = absl::StrFormat("%-9s ", PrintableText(p.phase, 40));
  if (p.epochs > 0) absl::StrAppendFormat(&line, "epoch %d/%d ", p.epoch, p.epochs);
  absl::StrAppendFormat(&line, "%s %d/%d loss %.4f", ProgressBar(p.step, p.total_steps, 24), p.step,
                        p.total_steps, p.loss);
  if (p.accuracy >= 0) absl::StrAppendFormat(&line, " acc %.1f%%", p.accuracy);
  if (p.expected_weight_bits > 0) {
    absl::StrAppendFormat(&line, " | E[bits] w %.2f a %.2f", p.expected_weight_bits, p.expected_act_bits);
  }
  if (p.relative_bops_percent >= 0) absl::StrAppendFormat(&line, " | rel. BOPs %.2f%%", p.relative_bops_percent);
  if (p.resumed) line += " (resumed)";
  return line;
}

}  // namespace bitsearch
