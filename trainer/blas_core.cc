#include "trainer/blas_core.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"

namespace augur::trainer {

std::string BetterBlasCoreType() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr ||
      std::getenv("AUGUR_KEEP_BLAS_CORE") != nullptr) {
    return "";
  }
  using CoreName = char* (*)();
  const auto core_name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (core_name == nullptr) return "";  // Not OpenBLAS.
  const std::string core = absl::AsciiStrToLower(core_name());
  // Pre-AVX2 kernels OpenBLAS falls back to; a core it recognized as AVX2+ is left alone.
  static constexpr const char* kWeak[] = {"prescott", "core2",     "penryn",  "dunnington",
                                          "nehalem",  "atom",      "unknown", "sandybridge",
                                          "katmai",   "northwood", "banias"};
  bool weak = false;
  for (const char* w : kWeak) weak = weak || core == w;
  if (!weak) return "";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

void MaybeReexecWithBetterBlasCore(char** argv) {
  const std::string core = BetterBlasCoreType();
  if (core.empty()) return;
  if (::setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // exec failed: carry on with the kernels already loaded.
}

}  // namespace augur::trainer
