#include "search/host_compute.h"

#include <torch/torch.h>

#include "base/blas_threads.h"
#include "base/host_memory.h"

namespace bitsearch {

void ConfigureHostCompute(int threads, bool keep_freed_memory) {
  torch::set_num_threads(threads);
  SetBlasThreads(threads);  // OpenBLAS keeps a thread per core otherwise
  if (keep_freed_memory) KeepHostMemoryForReuse();  // no page faults for each step's activations
}

}  // namespace bitsearch
