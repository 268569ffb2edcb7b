// How the process's C allocator (glibc malloc) treats the large blocks LibTorch asks for on the
// host. By default glibc gives every block above its threshold (128 KiB, adapting up to 32 MiB) a
// mapping of its own and unmaps it on free, and it returns the top of the heap to the system when
// more than a little is free. A training step allocates and frees the same activations and
// gradients every step, so each step faulted all of them in again: ResNet-8 at batch 128 took
// 14,240 page faults per float step and 18,400 per search step, and MobileNetV2's float step
// went from 1,690 to 1,113 ms (2 threads) once freed memory stayed in the heap for the next step
// (docs/RESULTS.md, "Freed memory kept for the next step").
#ifndef BITSEARCH_BASE_HOST_MEMORY_H_
#define BITSEARCH_BASE_HOST_MEMORY_H_

namespace bitsearch {

// Makes malloc serve every block from its heap (no per-block mappings) and keep up to 2 GiB of
// freed memory for reuse instead of returning it to the system, so the resident size stays at
// about the peak of a step. Leaves the allocator as it is, and returns false, when the user's
// GLIBC_TUNABLES set malloc tunables (theirs win) or the C library is not glibc. Process-wide;
// call it before the work starts, from any thread.
bool KeepHostMemoryForReuse();

}  // namespace bitsearch

#endif  // BITSEARCH_BASE_HOST_MEMORY_H_
