#include "base/host_memory.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bitsearch {
namespace {

// Keeps the compiler from removing a malloc/free pair whose memory nothing reads.
void Escape(void* p) { asm volatile("" : : "r"(p) : "memory"); }

TEST(HostMemoryTest, UserMallocTunablesWin) {
  const char* before = std::getenv("GLIBC_TUNABLES");
  std::string saved = before == nullptr ? "" : before;
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=4096", 1), 0);
  EXPECT_FALSE(KeepHostMemoryForReuse());
  if (before == nullptr) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", saved.c_str(), 1);
  }
}

// A 96 MiB block, larger than any threshold glibc would pick, comes from the heap rather than a
// mapping of its own, and the heap keeps it after free: the next step's block of that size
// faults nothing in. Without KeepHostMemoryForReuse the block is mapped (hblks grows) and both
// expectations fail.
TEST(HostMemoryTest, LargeBlocksComeFromTheHeapAndStayAfterFree) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) {
    GTEST_SKIP() << "GLIBC_TUNABLES sets malloc tunables here: " << tunables;
  }
  ASSERT_TRUE(KeepHostMemoryForReuse());
  constexpr std::size_t kBytes = std::size_t{96} << 20;
  struct mallinfo2 before = mallinfo2();
  void* block = std::malloc(kBytes);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBytes);
  Escape(block);
  struct mallinfo2 during = mallinfo2();
  EXPECT_EQ(during.hblks, before.hblks) << "the block got a mapping of its own";
  EXPECT_GE(during.arena, kBytes);
  std::free(block);
  struct mallinfo2 after = mallinfo2();
  EXPECT_EQ(after.arena, during.arena) << "the heap gave the freed block back to the system";
  EXPECT_GE(after.fordblks, kBytes);  // free, and kept for the next allocation
}

}  // namespace
}  // namespace bitsearch
