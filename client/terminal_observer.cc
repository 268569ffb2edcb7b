#include "client/terminal_observer.h"

#include <unistd.h>

#include "client/progress_text.h"

namespace bitsearch {

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
  int percent = p.total_steps > 0 ? ProgressPercent(p.step, p.total_steps) : 100;
  // Off a terminal (logs, CI), a line every 10% keeps the output readable.
  if (!tty_ && percent / 10 == last_percent_ / 10 && p.step != p.total_steps && !p.resumed) return;
  last_percent_ = percent;
  std::string line = ProgressLine(p);
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
