// How fast the Bayesian Bits gates learn, relative to the search's length. With Adam a gate's
// log_alpha moves about one learning rate per step whatever its gradient's size, so a fixed rate
// lets the number of steps, not mu, decide whether any gate can close: at 0.01 a 43-step search
// closes none at mu 0.01 or at mu 3. Unless the spec fixes search.gate_lr, the rate is chosen so
// that a gate can travel from search.gate_init to the test-time threshold within
// search.gate_travel of the search steps; a three-epoch Fashion-MNIST search (1,266 steps) then
// gets about 0.0104, the fixed default of earlier versions.
// Thread-safety: pure functions.
#ifndef BITSEARCH_SEARCH_METHODS_BAYESIAN_BITS_GATE_SCHEDULE_H_
#define BITSEARCH_SEARCH_METHODS_BAYESIAN_BITS_GATE_SCHEDULE_H_

#include <cstdint>
#include <string>

#include "search/spec.h"

namespace bitsearch {

// The log_alpha at which a gate's test-time rule flips (P(z = 0) = 0.34): about -0.935.
double GateThresholdLogAlpha();

// The gates' Adam rate for a search of `total_steps` (at least 1) under `spec`.
double GateLearningRate(const SearchSpec& spec, int64_t total_steps);

// One line for the job's log: the rate and where it came from.
std::string DescribeGateLearningRate(const SearchSpec& spec, int64_t total_steps);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_METHODS_BAYESIAN_BITS_GATE_SCHEDULE_H_
