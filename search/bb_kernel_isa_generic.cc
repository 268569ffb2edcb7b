// The Bayesian Bits kernel's loops with 4 lanes (bb_kernel_lanes.h), in a file of their own so the
// build can give it its instruction set's flags (search/CMakeLists.txt).
#include "search/bb_kernel_lanes.h"

namespace bitsearch::bb_kernel_internal {

RangeKernels GenericRangeKernels() { return MakeRangeKernels<4>("generic"); }

}  // namespace bitsearch::bb_kernel_internal
