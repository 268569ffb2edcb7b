// The thread pool of the BLAS library under LibTorch's matrix products. Debian's LibTorch runs
// them on OpenBLAS (libopenblas0-pthread), whose pool has one thread per core whatever
// torch::set_num_threads says, and whose idle threads spin (sched_yield) between products: a job
// told to use one thread kept a second core busy, slowing whatever else ran there. These find
// OpenBLAS in the running process (dlsym), so nothing links it; with another BLAS they do nothing.
// Thread-safety: call from the thread that sets LibTorch's threads, between products.
#ifndef BITSEARCH_BASE_BLAS_THREADS_H_
#define BITSEARCH_BASE_BLAS_THREADS_H_

namespace bitsearch {

// Sizes OpenBLAS's pool to `threads` (>= 1). Returns false when the process has no OpenBLAS.
bool SetBlasThreads(int threads);

// The size of OpenBLAS's pool, or 0 when the process has no OpenBLAS.
int BlasThreads();

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_BLAS_THREADS_H_
