// The Bayesian Bits kernel's loops with 8 lanes (bb_kernel_lanes.h), in a file of their own so the
// build can give it its instruction set's flags (search/CMakeLists.txt).
#include "search/bb_kernel_lanes.h"

namespace bitsearch::bb_kernel_internal {

RangeKernels Avx2RangeKernels() { return MakeRangeKernels<8>("avx2"); }

}  // namespace bitsearch::bb_kernel_internal
