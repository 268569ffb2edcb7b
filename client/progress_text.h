// The text of a progress sample, one implementation for `run` (TerminalObserver) and `watch`
// (events from a server, which may hold anything a worker sent: a step past the total, a negative
// step, no total, a NaN loss). Nothing here throws or aborts on such values.
// Thread-safety: pure functions.
#ifndef BITSEARCH_CLIENT_PROGRESS_TEXT_H_
#define BITSEARCH_CLIENT_PROGRESS_TEXT_H_

#include <cstdint>
#include <string>

#include "search/observer.h"

namespace bitsearch {

// Percent done in 0..100 (0 without a positive total; clamped when step is outside 0..total).
int ProgressPercent(int64_t step, int64_t total);

// "[######------]": `width` cells, the done share clamped to 0..width.
std::string ProgressBar(int64_t step, int64_t total, int width);

// "search    epoch 2/3 [#####---] 420/1266 loss 0.4312 acc 88.1% | E[bits] w 4.10 a 6.02 | rel.
// BOPs 1.20%": the line `run` redraws and `watch` prints. Strings are made printable.
std::string ProgressLine(const Progress& p);

}  // namespace bitsearch

#endif  // BITSEARCH_CLIENT_PROGRESS_TEXT_H_
