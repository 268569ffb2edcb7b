// What the step benchmarks share: the median of timed steps and the process's CPU time.
#ifndef BITSEARCH_BENCH_BENCH_TIMING_H_
#define BITSEARCH_BENCH_BENCH_TIMING_H_

#include <algorithm>
#include <ctime>
#include <vector>

namespace bitsearch::bench {

// The median (upper middle for an even count): robust to the odd slow step of a loaded machine.
inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// CPU time of the whole process (every thread), the figure a loaded machine disturbs least.
inline double CpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

}  // namespace bitsearch::bench

#endif  // BITSEARCH_BENCH_BENCH_TIMING_H_
