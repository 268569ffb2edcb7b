// How a process computes on the host: LibTorch's intra-op threads, OpenBLAS's pool (which
// torch::set_num_threads does not size, base/blas_threads.h) and malloc keeping freed memory for
// the next step (base/host_memory.h). One place, so a job's set-up and the benchmarks that time
// its steps configure the host the same way. Process-wide; call before the work starts.
#ifndef BITSEARCH_SEARCH_HOST_COMPUTE_H_
#define BITSEARCH_SEARCH_HOST_COMPUTE_H_

namespace bitsearch {

// threads >= 1. keep_freed_memory = false leaves glibc malloc's defaults (a benchmark's before).
void ConfigureHostCompute(int threads, bool keep_freed_memory = true);

}  // namespace bitsearch

#endif  // BITSEARCH_SEARCH_HOST_COMPUTE_H_
