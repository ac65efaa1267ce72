// OpenBLAS picks its kernels once, from CPUID, when it is loaded. On virtual machines whose CPU
// model it does not know, it falls back to its SSE3 "Prescott" kernels even when the CPU has
// AVX2 or AVX-512: on the development machines sgemm, about 80% of a training step, then runs
// about 3x slower than it can. OpenBLAS honours OPENBLAS_CORETYPE only at load time, so a
// program that wants the right kernels must set it and re-execute itself.
#ifndef AUGUR_TRAINER_BLAS_CORE_H_
#define AUGUR_TRAINER_BLAS_CORE_H_

#include <string>

namespace augur::trainer {

// The OpenBLAS core type this CPU supports best ("SkylakeX" with AVX-512, "Haswell" with AVX2
// and FMA), or "" when OpenBLAS is not loaded, its choice already uses AVX2 or better, or
// OPENBLAS_CORETYPE or AUGUR_KEEP_BLAS_CORE is set.
std::string BetterBlasCoreType();

// If BetterBlasCoreType() is not empty: sets OPENBLAS_CORETYPE and re-executes /proc/self/exe
// with `argv`. Returns only when nothing was to be done or exec failed. Call first in main.
void MaybeReexecWithBetterBlasCore(char** argv);

}  // namespace augur::trainer

#endif  // AUGUR_TRAINER_BLAS_CORE_H_
