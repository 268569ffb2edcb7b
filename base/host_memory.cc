#include "base/host_memory.h"

#include <climits>
#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace bitsearch {

bool KeepHostMemoryForReuse() {
#if defined(__GLIBC__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return false;
  // No mappings of their own: a block above the threshold would be unmapped on free, so its
  // pages fault in again on the next step. A block larger than a thread arena's heap (64 MiB)
  // then comes from the main heap, which glibc falls back to on its own.
  if (mallopt(M_MMAP_MAX, 0) != 1) return false;
  // mallopt takes an int: INT_MAX (2 GiB) is the most free memory it can be told to keep.
  return mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
#else
  return false;
#endif
}

}  // namespace bitsearch
