// Renders a result as the table a person reads after a job: per-layer bits and channels, then the
// headline figures and the baselines. Shared by `run` and `result`. Reads a ResultView, so a
// result of the wrong shape prints "-" where figures are missing instead of aborting.
// Thread-safety: pure functions.
#ifndef BITSEARCH_CLIENT_RESULT_TABLE_H_
#define BITSEARCH_CLIENT_RESULT_TABLE_H_

#include <string>

#include "search/report/result_view.h"
#include "search/report/sweep_result.h"

namespace bitsearch {

std::string FormatResultTable(const ResultView& result);
// A sweep's points (settings, state, figures, Pareto marks), its baselines and float models.
std::string FormatSweepTable(const SweepView& sweep);

// "warning: ..." lines naming the fields of `result` that could not be read (at most `max`, then
// how many more), or "" when there are none.
std::string FormatProblems(const ResultView& result, size_t max = 5);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_RESULT_TABLE_H_
