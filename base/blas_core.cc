#include "base/blas_core.h"

#include <dlfcn.h>
#include <strings.h>
#include <unistd.h>

#include <cstdlib>

namespace bitsearch {
namespace {

// OpenBLAS's x86-64 kernels older than Haswell's (no AVX2, no FMA), as openblas_get_corename
// spells them.
constexpr const char* kOlderCores[] = {"prescott", "core2",  "penryn",     "dunnington", "nehalem",
                                       "atom",     "barcelona", "sandybridge", "bobcat",   "bulldozer",
                                       "piledriver", "steamroller", "excavator"};

bool IsOlderCore(const std::string& name) {
  for (const char* core : kOlderCores) {
    if (strcasecmp(name.c_str(), core) == 0) return true;
  }
  return false;
}

}  // namespace

std::string BlasCoreName() {
  using NameFn = char* (*)();
  auto name = reinterpret_cast<NameFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (name == nullptr) return "";
  const char* core = name();
  return core == nullptr ? "" : core;
}

std::string BetterBlasCore(const std::string& picked, bool avx2_fma, bool avx512) {
  if (!IsOlderCore(picked)) return "";
  if (avx512 && avx2_fma) return "SkylakeX";
  if (avx2_fma) return "Haswell";
  return "";
}

void RestartWithBetterBlasCore(char** argv) {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice, or done already
  const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  const std::string better = BetterBlasCore(BlasCoreName(), avx2_fma, avx512);
  if (better.empty()) return;
  if (setenv("OPENBLAS_CORETYPE", better.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: this process keeps OpenBLAS's own choice
#else
  (void)argv;
#endif
}

}  // namespace bitsearch
