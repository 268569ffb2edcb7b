#include "base/blas_threads.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

namespace bitsearch {
namespace {

// OpenBLAS as LibTorch loads it (Debian: libopenblas0-pthread); this test binary does not link it.
void* LoadOpenBlas() { return dlopen("libopenblas.so.0", RTLD_NOW | RTLD_GLOBAL); }

TEST(BlasThreadsTest, SizesOpenBlasPoolOnceLoaded) {
  if (LoadOpenBlas() == nullptr) GTEST_SKIP() << "no libopenblas.so.0 here: " << dlerror();
  ASSERT_TRUE(SetBlasThreads(1));
  EXPECT_EQ(BlasThreads(), 1);
  ASSERT_TRUE(SetBlasThreads(2));
  EXPECT_EQ(BlasThreads(), 2);
  EXPECT_FALSE(SetBlasThreads(0));  // refused: the pool keeps its size
  EXPECT_EQ(BlasThreads(), 2);
}

}  // namespace
}  // namespace bitsearch
