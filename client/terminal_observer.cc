#include "client/terminal_observer.h"

#include <unistd.h>

#include "absl/strings/str_format.h"

namespace bitsearch {

std::string ProgressBar(int64_t done, int64_t total, int width) {
  int filled = total > 0 ? static_cast<int>(width * std::min<int64_t>(done, total) / total) : 0;
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
}

TerminalObserver::TerminalObserver(std::FILE* out) : out_(out), tty_(::isatty(::fileno(out))) {}

void TerminalObserver::EndLine() {
  if (line_open_) std::fputc('\n', out_);
  line_open_ = false;
}

void TerminalObserver::OnPhaseStart(const std::string& phase, int64_t total_steps) {
  EndLine();
  last_percent_ = -1;
  std::fprintf(out_, "== %s (%lld steps)\n", phase.c_str(), static_cast<long long>(total_steps));
  std::fflush(out_);
}

void TerminalObserver::OnProgress(const Progress& p) {
  int percent = p.total_steps > 0 ? static_cast<int>(100 * p.step / p.total_steps) : 100;
  // Off a terminal (logs, CI), a line every 10% keeps the output readable.
  if (!tty_ && percent / 10 == last_percent_ / 10 && p.step != p.total_steps && !p.resumed) return;
  last_percent_ = percent;
  std::string line = absl::StrFormat("%-9s epoch %d/%d %s %lld/%lld loss %.4f acc %.1f%%",
                                     p.phase, p.epoch, p.epochs, ProgressBar(p.step, p.total_steps, 24),
                                     static_cast<long long>(p.step),
                                     static_cast<long long>(p.total_steps), p.loss, p.accuracy);
  if (p.expected_weight_bits > 0) {
    line += absl::StrFormat(" | E[bits] w %.2f a %.2f | rel. BOPs %.2f%%", p.expected_weight_bits,
                            p.expected_act_bits, p.relative_bops_percent);
  }
  if (p.resumed) line += " (resumed)";
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void TerminalObserver::OnPhaseEnd(const std::string& phase, double seconds, const std::string& summary) {
  EndLine();
  std::fprintf(out_, "   %s done in %.1f s: %s\n", phase.c_str(), seconds, summary.c_str());
  std::fflush(out_);
}

void TerminalObserver::OnLog(const std::string& line) {
  EndLine();
  std::fprintf(out_, "-- %s\n", line.c_str());
  std::fflush(out_);
}

}  // namespace bitsearch
