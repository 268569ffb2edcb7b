// Shows a running job on a terminal: one live progress bar per phase on stderr (redrawn in place
// on a TTY, a line every few percent otherwise), phase summaries and log lines.
// Thread-safety: called from the job's thread only.
#ifndef BITSEARCH_CLIENT_TERMINAL_OBSERVER_H_
#define BITSEARCH_CLIENT_TERMINAL_OBSERVER_H_

#include <cstdio>
#include <string>

#include "search/observer.h"

namespace bitsearch {

class TerminalObserver : public JobObserver {
 public:
  explicit TerminalObserver(std::FILE* out = stderr);
  void OnPhaseStart(const std::string& phase, int64_t total_steps) override;
  void OnProgress(const Progress& p) override;
  void OnPhaseEnd(const std::string& phase, double seconds, const std::string& summary) override;
  void OnLog(const std::string& line) override;

 private:
  void EndLine();
  std::FILE* out_;
  bool tty_;
  bool line_open_ = false;
  int last_percent_ = -1;
};

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_TERMINAL_OBSERVER_H_
