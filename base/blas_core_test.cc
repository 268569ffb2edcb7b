#include "base/blas_core.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

namespace bitsearch {
namespace {

TEST(BlasCoreTest, OlderKernelsGiveWayToWhatTheCpuRuns) {
  EXPECT_EQ(BetterBlasCore("Prescott", true, true), "SkylakeX");
  EXPECT_EQ(BetterBlasCore("Prescott", true, false), "Haswell");
  EXPECT_EQ(BetterBlasCore("SANDYBRIDGE", true, false), "Haswell");
  EXPECT_EQ(BetterBlasCore("Core2", false, false), "");  // the CPU runs nothing newer
  EXPECT_EQ(BetterBlasCore("Haswell", true, true), "");   // OpenBLAS knew the CPU: left alone
  EXPECT_EQ(BetterBlasCore("SkylakeX", true, true), "");
  EXPECT_EQ(BetterBlasCore("Zen", true, false), "");
  EXPECT_EQ(BetterBlasCore("armv8", false, false), "");
  EXPECT_EQ(BetterBlasCore("", true, true), "");  // no OpenBLAS
}

TEST(BlasCoreTest, NamesTheKernelsOfTheLoadedOpenBlas) {
  // Debian: libopenblas0-pthread, as LibTorch loads it; this test binary does not link it.
  if (dlopen("libopenblas.so.0", RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    GTEST_SKIP() << "no libopenblas.so.0 here: " << dlerror();
  }
  EXPECT_FALSE(BlasCoreName().empty());
}

}  // namespace
}  // namespace bitsearch
