// Which kernels OpenBLAS runs. Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) picks its kernels from the
// CPU's family and model numbers, and on a model it does not know yet it falls back to the oldest
// x86-64 ones ("Prescott", SSE3) even where the CPU has AVX2 and AVX-512: on a 2-core Xeon of
// model 207 LibTorch's matrix products ran at SSE3 speed, and LeNet-5's float step took 71 ms
// instead of 41-61 (docs/RESULTS.md, "OpenBLAS on a CPU it does not know"). OpenBLAS reads its
// choice once, when it loads, from OPENBLAS_CORETYPE, so the only fix from inside a program is to
// set that variable and start again.
#ifndef BITSEARCH_BASE_BLAS_CORE_H_
#define BITSEARCH_BASE_BLAS_CORE_H_

#include <string>

namespace bitsearch {

// The kernels OpenBLAS runs in this process ("Haswell", "SkylakeX", "Prescott", ...), or "" when
// the process has no OpenBLAS (found with dlsym, so nothing links it).
std::string BlasCoreName();

// The kernels OpenBLAS should run instead of `picked` on a CPU with these features: "SkylakeX"
// with AVX-512 (F, CD, BW, DQ, VL), else "Haswell" with AVX2 and FMA, when `picked` is one of the
// older x86-64 kernels that run neither; "" when `picked` is as good (or not an x86-64 kernel).
std::string BetterBlasCore(const std::string& picked, bool avx2_fma, bool avx512);

// When OpenBLAS picked older kernels than this CPU runs (BetterBlasCore) and the user has not set
// OPENBLAS_CORETYPE, sets it and re-executes this program with the same arguments (the same
// process id: whoever started it still holds it), so OpenBLAS loads with the right kernels.
// Returns when there is nothing to change or the re-execution failed (the program then goes on
// with the old kernels). Call it first in main, before any thread starts.
void RestartWithBetterBlasCore(char** argv);

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_BLAS_CORE_H_
